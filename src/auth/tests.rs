//! Unit tests of the authenticator front: building each scheme, what `Debug` shows,
//! and finding auth scripts. Token endpoints, signatures and scripts are tested end to
//! end in `tests/auth.rs`.

use super::*;
use crate::pipeline::{JwtAlgorithm, JwtAuth, OAuth1Auth, ScriptAuth, Secret, SignatureMethod};

const SECRET: &str = "zq-unit-secret-8812";

fn auth(kind: &str) -> Auth {
    match kind {
        "oauth1" => Auth::OAuth1(OAuth1Auth {
            consumer_key: Secret::new("key".into()),
            consumer_secret: Secret::new(SECRET.into()),
            token: None,
            token_secret: None,
            signature_method: SignatureMethod::HmacSha1,
        }),
        "jwt" => Auth::Jwt(JwtAuth {
            algorithm: JwtAlgorithm::Hs256,
            secret: Some(Secret::new(SECRET.into())),
            private_key: None,
            claims: Default::default(),
            ttl: None,
        }),
        _ => Auth::Script(ScriptAuth {
            file: "stdlib/auth/oauth1.rhai".into(),
            settings: Secret::new(
                [("consumer_secret".to_string(), serde_json::json!(SECRET))]
                    .into_iter()
                    .collect(),
            ),
        }),
    }
}

#[test]
fn debug_forms_show_no_credentials() {
    for kind in ["oauth1", "jwt", "script"] {
        let authenticator =
            Authenticator::new("a", &auth(kind), &AuthContext::default()).expect(kind);
        let shown = format!("{authenticator:?}");
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(shown.contains(kind), "{shown}");
    }
}

#[test]
fn shipped_scripts_are_found_by_path_file_name_or_stem() {
    for name in [
        "stdlib/auth/oauth1.rhai",
        "./stdlib/auth/oauth1.rhai",
        "oauth1.rhai",
        "oauth1",
    ] {
        assert_eq!(
            auth_script_source(name).map(|(path, _)| path),
            Some("stdlib/auth/oauth1.rhai"),
            "{name}"
        );
    }
    assert!(auth_script_source("stdlib/auth/nope.rhai").is_none());
}

#[test]
fn a_missing_script_is_a_clear_error() {
    let config = Auth::Script(ScriptAuth {
        file: "scripts/missing.rhai".into(),
        settings: Secret::new(Default::default()),
    });
    let error = Authenticator::new("crm", &config, &AuthContext::default()).unwrap_err();
    assert_eq!(error.name, "crm");
    assert!(
        error
            .message
            .contains("cannot find script `scripts/missing.rhai`"),
        "{error}"
    );
}

#[test]
fn redact_blanks_longest_secrets_first() {
    assert_eq!(redact("a abcdef abc", &["abc", "abcdef", "a"]), "a *** ***");
}

#[test]
fn jwt_needs_its_key() {
    let config = Auth::Jwt(JwtAuth {
        algorithm: JwtAlgorithm::Rs256,
        secret: None,
        private_key: Some(Secret::new(format!("-----BEGIN {SECRET}"))),
        claims: Default::default(),
        ttl: None,
    });
    let error = Authenticator::new("j", &config, &AuthContext::default()).unwrap_err();
    assert!(error.message.contains("not an RSA private key"), "{error}");
    assert!(!error.to_string().contains(SECRET));
}
