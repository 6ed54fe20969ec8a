# The jq program equivalent to benches/participants.map, for comparing with jaq.
# (jq has no time zones: Europe/Amsterdam is approximated by a fixed -1h.)
{
  id: .participant_id,
  first_name: (.first_name | trim),
  last_name: (.last_name | trim),
  email: (.email | trim | ascii_downcase | if . == "" then error("email is required") else . end),
  full_name: ((.first_name | trim) + " " + (.last_name | trim)),
  company: (.company // "Unknown"),
  country: ({"NL": "Netherlands", "BE": "Belgium", "DE": "Germany", "FR": "France", "GB": "United Kingdom"}[.country_code | ascii_upcase] // "Other"),
  registered_at: (.registered | strptime("%d/%m/%Y %H:%M") | mktime | . - 3600 | todate),
  level: (if .tickets > 2 then "vip" else "regular" end),
  tickets: .tickets,
  city: (.city | trim),
  source: "registration"
}
