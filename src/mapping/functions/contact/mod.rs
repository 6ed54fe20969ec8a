//! Contact data: e-mail addresses and phone numbers.

use super::Function;

mod normalize_email;
mod normalize_phone;

pub(super) fn all() -> Vec<&'static Function> {
    vec![
        &normalize_email::NORMALIZE_EMAIL,
        &normalize_phone::NORMALIZE_PHONE,
    ]
}
