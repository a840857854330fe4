//! Validated strings: every name, label, subject and glob in the model is
//! checked once, when it is parsed, so later stages never re-check strings.
//!
//! Each type also declares a JSON Schema `format`; the loader registers the
//! same checks with the JSON Schema validator, so a bad value is reported with
//! its position together with every other schema error of the document, not
//! one at a time by serde. The published schemas state each format as a
//! `pattern` instead ([`published`]), which any validator understands.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// Declares a string newtype whose constructor runs `$check`.
macro_rules! checked_string {
    ($(#[$doc:meta])* $name:ident, format = $format:literal, description = $description:literal, check = $check:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The JSON Schema `format` that checks this type.
            pub const FORMAT: &'static str = $format;

            /// The validated string.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                $check(&s)?;
                Ok($name(s))
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::try_from(s.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({"type": "string", "format": $format, "description": $description})
            }
        }
    };
}

checked_string!(
    /// A DNS-1123 label: what Kubernetes accepts as a namespace, and what
    /// kprov accepts for every object, environment, tier and volume name.
    Name,
    format = "dns1123-label",
    description = "DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters.",
    check = check_dns1123_label
);

checked_string!(
    /// A label or annotation key: an optional DNS subdomain prefix and `/`,
    /// then a name of at most 63 characters.
    LabelKey,
    format = "label-key",
    description = "Kubernetes label or annotation key, e.g. `team` or `example.com/team`.",
    check = check_label_key
);

checked_string!(
    /// A label value: at most 63 characters of alphanumerics, `-`, `_`, `.`,
    /// starting and ending with an alphanumeric (or empty).
    LabelValue,
    format = "label-value",
    description = "Kubernetes label value: at most 63 characters, alphanumerics, '-', '_' and '.', beginning and ending with an alphanumeric.",
    check = check_label_value
);

checked_string!(
    /// An IANA service name, as Kubernetes requires for named ports.
    PortName,
    format = "port-name",
    description = "Port name: at most 15 lower-case letters, digits and '-', with at least one letter.",
    check = check_port_name
);

checked_string!(
    /// A unicast Ethernet address, six hex pairs separated by `:`, as
    /// libvirt's `<mac address=…>` writes it. Multicast addresses (the low
    /// bit of the first octet set) are refused: a NIC with one never
    /// receives its own traffic.
    MacAddress,
    format = "mac-address",
    description = "Unicast MAC address: six hex pairs separated by ':', e.g. `52:54:00:12:34:56`.",
    check = check_mac_address
);

checked_string!(
    /// A Linux network interface name, as a node's bridge is called: the
    /// kernel's limit is 15 bytes, and `/` or white space cannot occur.
    InterfaceName,
    format = "interface-name",
    description = "Linux interface name: 1 to 15 letters, digits, '.', '_' and '-', e.g. `br-vlan100`.",
    check = check_interface_name
);

checked_string!(
    /// A calendar date `YYYY-MM-DD`.
    Date,
    format = "date",
    description = "Calendar date, YYYY-MM-DD.",
    check = check_date
);

checked_string!(
    /// The name of a ClusterRole a role binding refers to. Kubernetes allows
    /// any path segment; kprov takes the characters real role names use
    /// (`view`, `kubevirt.io:edit`, `acme:db-reader`), so a typo such as
    /// `ClusterRole/view` or a trailing space is an error, not a binding to
    /// a role that does not exist.
    RoleName,
    format = "role-name",
    description = "ClusterRole name: letters, digits, ':', '.', '_', '-' and '@', at most 253 characters, e.g. `view` or `kubevirt.io:edit`.",
    check = check_role_name
);

/// Check a [`RoleName`].
pub fn check_role_name(s: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '-' | '@');
    if s.is_empty() || s.len() > 253 {
        return Err(format!(
            "`{s}` is not a ClusterRole name: it must have 1 to 253 characters"
        ));
    }
    if let Some(c) = s.chars().find(|c| !allowed(*c)) {
        return Err(format!(
            "`{}` is not a ClusterRole name: `{}` is not allowed (letters, digits, ':', '.', '_', '-' and '@', e.g. `view`)",
            s.escape_default(),
            c.escape_default()
        ));
    }
    if s == "." || s == ".." {
        return Err(format!("`{s}` is not a ClusterRole name"));
    }
    Ok(())
}

/// Whether a ClusterRole is one kprov never binds, whatever the estate
/// allows: `cluster-admin` grants everything, and `system:` roles belong
/// to the cluster's own components (`system:controller:generic-garbage-collector`
/// may delete any object, a project's ResourceQuota and NetworkPolicies
/// among them). Compared without case: no one names a role `Cluster-Admin`
/// but to get past a check.
pub fn is_forbidden_role(role: &str) -> bool {
    let lower = role.trim().to_ascii_lowercase();
    lower == "cluster-admin" || lower.starts_with("system:")
}

const EXAMPLE_NAME: &str = "e.g. `payments`, `cluster-us-east-1-prod`";

/// Check a DNS-1123 label (RFC 1123, as Kubernetes uses it for namespaces).
pub fn check_dns1123_label(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err(format!("name must not be empty ({EXAMPLE_NAME})"));
    }
    if s.len() > 63 {
        return Err(format!(
            "`{s}` is {} characters long; a DNS-1123 label has at most 63",
            s.len()
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        let hint = if c.is_ascii_uppercase() {
            " (names are lower case)"
        } else {
            ""
        };
        return Err(format!(
            "`{s}` is not a DNS-1123 label: `{c}` is not allowed{hint}; use lower-case letters, digits and '-' ({EXAMPLE_NAME})"
        ));
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Err(format!(
            "`{s}` is not a DNS-1123 label: it must start and end with a letter or digit"
        ));
    }
    Ok(())
}

fn check_dns1123_subdomain(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > 253 {
        return Err(format!(
            "`{s}` must be a DNS subdomain of 1 to 253 characters"
        ));
    }
    for part in s.split('.') {
        check_dns1123_label(part).map_err(|_| format!("`{s}` is not a DNS subdomain"))?;
    }
    Ok(())
}

fn check_qualified_name_part(s: &str, what: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > 63 {
        return Err(format!("{what} must be 1 to 63 characters"));
    }
    let alnum = |c: char| c.is_ascii_alphanumeric();
    if !s.starts_with(alnum) || !s.ends_with(alnum) {
        return Err(format!(
            "{what} `{s}` must begin and end with a letter or digit"
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "{what} `{s}` contains `{c}`; allowed are letters, digits, '-', '_' and '.'"
        ));
    }
    Ok(())
}

/// Check a Kubernetes label/annotation key (a qualified name).
pub fn check_label_key(s: &str) -> Result<(), String> {
    match s.split_once('/') {
        Some((prefix, name)) => {
            check_dns1123_subdomain(prefix).map_err(|e| format!("key `{s}`: prefix {e}"))?;
            check_qualified_name_part(name, "key name")
        }
        None => check_qualified_name_part(s, "key"),
    }
}

/// Check a Kubernetes label value.
pub fn check_label_value(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    check_qualified_name_part(s, "label value")
}

fn check_port_name(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 15
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && s.chars().any(|c| c.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{s}` is not a port name: at most 15 lower-case letters, digits and '-', with at least one letter (e.g. `http`, `ssh`)"
        ))
    }
}

fn check_interface_name(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 15
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && s != "."
        && s != "..";
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{s}` is not a Linux interface name: 1 to 15 letters, digits, '.', '_' and '-' (e.g. `br-vlan100`)"
        ))
    }
}

fn check_mac_address(s: &str) -> Result<(), String> {
    let octets: Vec<&str> = s.split(':').collect();
    let hex = |o: &&str| o.len() == 2 && o.bytes().all(|b| b.is_ascii_hexdigit());
    if octets.len() != 6 || !octets.iter().all(hex) {
        return Err(format!(
            "`{s}` is not a MAC address: write six hex pairs separated by ':', e.g. `52:54:00:12:34:56`"
        ));
    }
    if u8::from_str_radix(octets[0], 16).is_ok_and(|first| first & 1 == 1) {
        return Err(format!(
            "`{s}` is a multicast MAC address; a NIC needs a unicast one (the first octet even)"
        ));
    }
    Ok(())
}

fn check_date(s: &str) -> Result<(), String> {
    let bad = || format!("`{s}` is not a date; write YYYY-MM-DD, e.g. `2027-06-30`");
    let b = s.as_bytes();
    let digits = b
        .iter()
        .enumerate()
        .all(|(i, c)| matches!(i, 4 | 7) || c.is_ascii_digit());
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().map_err(|_| bad());
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if day == 0 || day > days {
        return Err(bad());
    }
    Ok(())
}

checked_string!(
    /// A Slack channel name with its `#`.
    SlackChannel,
    format = "slack-channel",
    description = "Slack channel: `#` then at most 80 lower-case letters, digits, '-', '_' and '.'.",
    check = check_slack_channel
);

/// Check a [`SlackChannel`]: Slack's own rules for channel names.
pub fn check_slack_channel(s: &str) -> Result<(), String> {
    let Some(name) = s.strip_prefix('#') else {
        return Err(format!(
            "`{s}` is not a Slack channel: it must start with `#`, e.g. `#{s}`"
        ));
    };
    if name.is_empty() || name.chars().count() > 80 {
        return Err(format!(
            "`{s}` is not a Slack channel: the name after `#` must have 1 to 80 characters"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "`{s}` is not a Slack channel: `{c}` is not allowed (lower-case letters, digits, '-', '_' and '.')"
        ));
    }
    Ok(())
}

checked_string!(
    /// A code owner as GitHub's CODEOWNERS file accepts it.
    GitHubHandle,
    format = "github-handle",
    description = "GitHub code owner: `@user`, `@org/team` or an e-mail address.",
    check = check_github_handle
);

/// Check a [`GitHubHandle`]: `@user`, `@org/team` or `name@domain`.
pub fn check_github_handle(s: &str) -> Result<(), String> {
    let usage = "write `@user`, `@org/team` or an e-mail address";
    // GitHub logins: alphanumerics and single hyphens, at most 39 characters.
    let login = |v: &str| {
        !v.is_empty()
            && v.len() <= 39
            && !v.starts_with('-')
            && !v.ends_with('-')
            && !v.contains("--")
            && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let team = |v: &str| {
        !v.is_empty()
            && v.len() <= 100
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if let Some(rest) = s.strip_prefix('@') {
        let ok = match rest.split_once('/') {
            Some((org, t)) => login(org) && team(t),
            None => login(rest),
        };
        return if ok {
            Ok(())
        } else {
            Err(format!("`{s}` is not a GitHub user or team; {usage}"))
        };
    }
    match s.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && domain.contains('.')
                && !s.chars().any(|c| c.is_whitespace() || c.is_control()) =>
        {
            Ok(())
        }
        _ => Err(format!("`{s}` is not a GitHub code owner; {usage}")),
    }
}

/// Who a role is bound to, written `user:<name>`, `group:<name>` or
/// `serviceaccount:<namespace>:<name>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Subject {
    /// A user, as the cluster's authenticator names it.
    User(String),
    /// A group, as the cluster's authenticator names it.
    Group(String),
    /// A Kubernetes ServiceAccount.
    ServiceAccount {
        /// Namespace of the ServiceAccount.
        namespace: Name,
        /// Name of the ServiceAccount.
        name: Name,
    },
}

impl Subject {
    /// The JSON Schema `format` that checks this type.
    pub const FORMAT: &'static str = "subject";
}

/// Check the text form of a [`Subject`].
pub fn check_subject(s: &str) -> Result<(), String> {
    Subject::from_str(s).map(|_| ())
}

impl FromStr for Subject {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let usage = "write `user:<name>`, `group:<name>` or `serviceaccount:<namespace>:<name>`";
        let (kind, rest) = s
            .split_once(':')
            .ok_or_else(|| format!("`{s}` is not a subject; {usage}"))?;
        let nonempty = |v: &str| {
            if v.trim().is_empty() || v.chars().any(char::is_control) {
                Err(format!(
                    "`{s}` is not a subject: the name is empty; {usage}"
                ))
            } else {
                Ok(v.to_owned())
            }
        };
        match kind {
            "user" => Ok(Subject::User(nonempty(rest)?)),
            "group" => Ok(Subject::Group(nonempty(rest)?)),
            "serviceaccount" => {
                let (ns, name) = rest
                    .split_once(':')
                    .ok_or_else(|| format!("`{s}` is not a subject; {usage}"))?;
                Ok(Subject::ServiceAccount {
                    namespace: ns.parse().map_err(|e| format!("`{s}`: namespace {e}"))?,
                    name: name.parse().map_err(|e| format!("`{s}`: name {e}"))?,
                })
            }
            _ => Err(format!(
                "`{s}` is not a subject: unknown kind `{kind}`; {usage}"
            )),
        }
    }
}

impl TryFrom<String> for Subject {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::User(n) => write!(f, "user:{n}"),
            Subject::Group(n) => write!(f, "group:{n}"),
            Subject::ServiceAccount { namespace, name } => {
                write!(f, "serviceaccount:{namespace}:{name}")
            }
        }
    }
}

impl From<Subject> for String {
    fn from(s: Subject) -> String {
        s.to_string()
    }
}

impl JsonSchema for Subject {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Subject".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "subject",
            "description": "Subject: `user:<name>`, `group:<name>` or `serviceaccount:<namespace>:<name>`."
        })
    }
}

/// A shell-style glob (`cluster-us-*`, `u1.*`), matched against whole names.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Glob {
    pattern: String,
    matcher: Matcher,
}

/// How a glob is matched. Allow-lists are checked for every cluster, tier
/// and instancetype of every project against every list on its chain, and
/// nearly every pattern is a name or a `prefix-*`: those skip the regex.
#[derive(Clone)]
enum Matcher {
    /// No glob syntax at all: the name itself.
    Exact,
    /// The pattern is this many bytes of plain text and then one `*`.
    Prefix(usize),
    /// Anything else, by globset.
    Glob(globset::GlobMatcher),
}

/// Characters with a meaning in globset's syntax.
const GLOB_SYNTAX: [char; 7] = ['*', '?', '[', ']', '{', '}', '\\'];

impl Glob {
    /// The JSON Schema `format` that checks this type.
    pub const FORMAT: &'static str = "glob";

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether `name` matches the whole pattern.
    pub fn is_match(&self, name: &str) -> bool {
        match &self.matcher {
            Matcher::Exact => name == self.pattern,
            Matcher::Prefix(n) => name.starts_with(&self.pattern[..*n]),
            Matcher::Glob(glob) => glob.is_match(name),
        }
    }
}

/// Check the text form of a [`Glob`].
pub fn check_glob(s: &str) -> Result<(), String> {
    Glob::from_str(s).map(|_| ())
}

impl FromStr for Glob {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("a glob must not be empty (e.g. `cluster-us-*`)".into());
        }
        let glob = globset::GlobBuilder::new(s)
            .literal_separator(false)
            .build()
            .map_err(|e| format!("`{s}` is not a valid glob: {}", e.kind()))?;
        let plain = |text: &str| !text.contains(GLOB_SYNTAX);
        let matcher = match s.strip_suffix('*') {
            _ if plain(s) => Matcher::Exact,
            Some(prefix) if plain(prefix) => Matcher::Prefix(prefix.len()),
            _ => Matcher::Glob(glob.compile_matcher()),
        };
        Ok(Glob {
            pattern: s.to_owned(),
            matcher,
        })
    }
}

impl TryFrom<String> for Glob {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Glob> for String {
    fn from(g: Glob) -> String {
        g.pattern
    }
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Glob({:?})", self.pattern)
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.pattern)
    }
}

impl PartialEq for Glob {
    fn eq(&self, other: &Self) -> bool {
        self.pattern == other.pattern
    }
}

impl Eq for Glob {}

impl JsonSchema for Glob {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Glob".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "glob",
            "description": "Shell-style glob matched against whole names: `*` any run of characters, `?` one character, `[a-c]` a class, `{a,b}` alternatives."
        })
    }
}

/// A check of one string format: `Err` carries the message for the user.
pub type FormatCheck = fn(&str) -> Result<(), String>;

/// Every string format the model's JSON Schemas use, with the check that
/// decides it; the loader registers these with the JSON Schema validator and
/// uses the error text of the same check in its message.
pub fn formats() -> Vec<(&'static str, FormatCheck)> {
    vec![
        (Name::FORMAT, check_dns1123_label),
        (LabelKey::FORMAT, check_label_key),
        (LabelValue::FORMAT, check_label_value),
        (PortName::FORMAT, check_port_name),
        (MacAddress::FORMAT, check_mac_address),
        (InterfaceName::FORMAT, check_interface_name),
        (Date::FORMAT, check_date),
        (Subject::FORMAT, check_subject),
        (SlackChannel::FORMAT, check_slack_channel),
        (GitHubHandle::FORMAT, check_github_handle),
        (Glob::FORMAT, check_glob),
        (RoleName::FORMAT, check_role_name),
        (super::Quantity::FORMAT, check_input_quantity),
    ]
}

/// Check a quantity as input writes it: every quantity kprov reads (a quota,
/// a size, a capacity, a factor, a rate) is an amount, and a negative one
/// would offset another project's positive one under a tenant's budget.
pub fn check_input_quantity(s: &str) -> Result<(), String> {
    let quantity = super::Quantity::parse(s).map_err(|e| e.to_string())?;
    if quantity < super::Quantity::zero() {
        return Err(format!(
            "`{s}` is negative; quotas, sizes, capacities, factors and rates are never negative"
        ));
    }
    Ok(())
}

/// How the published schemas state a format: in keywords every draft-07
/// validator and editor knows (`pattern`, `maxLength`), with examples.
#[derive(Debug, Clone, Copy)]
pub struct Published {
    /// The format's name in kprov's own (validation) schemas.
    pub format: &'static str,
    /// A regular expression (ECMA 262, as JSON Schema reads it) that
    /// accepts exactly what the format's check accepts; `None` where no
    /// regular expression can (a glob's syntax), and the schema only says
    /// "not empty".
    pub pattern: Option<&'static str>,
    /// The longest accepted text, in characters.
    pub max_length: Option<u64>,
    /// Whether the standard draft-07 `format` of the same name stays
    /// (`date`: the pattern gives the shape, the format the calendar).
    pub standard: bool,
    /// Values that show the shape.
    pub examples: &'static [&'static str],
}

/// A DNS-1123 label of at most 63 characters, as part of a larger pattern.
macro_rules! label {
    () => {
        "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
    };
}
/// Control characters (Unicode `Cc`), as a class body.
macro_rules! control {
    () => {
        r"\u0000-\u001F\u007F-\u009F"
    };
}
/// White space that is not a control character, as a class body.
macro_rules! blank {
    () => {
        r" \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"
    };
}

/// Every format of [`formats`] as the published schemas state it. A test
/// runs each pattern against its check on a table of texts, so the two
/// cannot disagree.
pub fn published() -> Vec<Published> {
    let p = |format, pattern, max_length, examples| Published {
        format,
        pattern: Some(pattern),
        max_length,
        standard: false,
        examples,
    };
    vec![
        p(
            Name::FORMAT,
            "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
            Some(63),
            &["payments", "cluster-us-east-1-prod"],
        ),
        p(
            LabelKey::FORMAT,
            concat!(
                "^((?=[^/]{1,253}/)",
                label!(),
                r"(\.",
                label!(),
                ")*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
            ),
            Some(253 + 1 + 63),
            &["team", "example.com/team"],
        ),
        p(
            LabelValue::FORMAT,
            "^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$",
            Some(63),
            &["payments", "v1.2_rc"],
        ),
        p(
            PortName::FORMAT,
            "^(?=[-0-9]*[a-z])[a-z0-9]+(-[a-z0-9]+)*$",
            Some(15),
            &["http", "ssh"],
        ),
        p(
            MacAddress::FORMAT,
            "^[0-9A-Fa-f][02468ACEace](:[0-9A-Fa-f]{2}){5}$",
            Some(17),
            &["52:54:00:12:34:56"],
        ),
        p(
            InterfaceName::FORMAT,
            r"^(?!\.\.?$)[-A-Za-z0-9._]{1,15}$",
            Some(15),
            &["br-vlan100", "br0"],
        ),
        Published {
            format: Date::FORMAT,
            pattern: Some("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
            max_length: Some(10),
            standard: true,
            examples: &["2027-06-30"],
        },
        p(
            Subject::FORMAT,
            concat!(
                "^((user|group):[^",
                control!(),
                "]*[^",
                control!(),
                blank!(),
                "][^",
                control!(),
                "]*|serviceaccount:",
                label!(),
                ":",
                label!(),
                ")$"
            ),
            None,
            &[
                "user:alice@acme.example",
                "group:payments-devs",
                "serviceaccount:ci:deployer",
            ],
        ),
        p(
            SlackChannel::FORMAT,
            "^#[-a-z0-9_.]{1,80}$",
            Some(81),
            &["#payments-alerts"],
        ),
        p(
            GitHubHandle::FORMAT,
            concat!(
                "^(@(?=[-A-Za-z0-9]{1,39}(/|$))[A-Za-z0-9]+(-[A-Za-z0-9]+)*(/[-A-Za-z0-9_.]{1,100})?",
                "|[^@",
                control!(),
                blank!(),
                "][^",
                control!(),
                blank!(),
                "]*@[^",
                control!(),
                blank!(),
                r"]*\.[^",
                control!(),
                blank!(),
                "]*)$"
            ),
            None,
            &["@alice", "@acme/payments", "payments@acme.example"],
        ),
        Published {
            format: Glob::FORMAT,
            pattern: None,
            max_length: None,
            standard: false,
            examples: &["cluster-us-*", "u1.*", "{dev,test}-*"],
        },
        p(
            RoleName::FORMAT,
            r"^(?!\.\.?$)[-A-Za-z0-9:._@]{1,253}$",
            Some(253),
            &["view", "kubevirt.io:edit"],
        ),
        p(
            super::Quantity::FORMAT,
            r"^(\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)|-(0+(\.0*)?|\.0+))([numkMGTPE]|[KMGTPE]i|[eE][-+]?[0-9]+)?$",
            None,
            &["500m", "2", "1Gi", "10G"],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts every published pattern is run on, against every check: the
    /// interesting cases of each format, and so every other format's too.
    const TEXTS: &[&str] = &[
        "",
        " ",
        "a",
        "A",
        "0",
        "-",
        "--",
        "a-",
        "-a",
        "a--b",
        "a-b",
        "Shop_1",
        "shop-1",
        "payments",
        "Payments",
        "a.b",
        ".",
        "..",
        "...",
        "a_b",
        "_a",
        "a_",
        "a/b",
        "/a",
        "a/",
        "example.com/team",
        "Example.com/team",
        "example..com/team",
        "-x.com/team",
        "example.com/",
        "example.com/Team_1.x",
        "a/b/c",
        "x.y/-a",
        "x.y/a-",
        "http",
        "ssh",
        "h2c",
        "123",
        "1-2",
        "a1",
        "abcdefghijklmno",
        "abcdefghijklmnop",
        "52:54:00:12:34:56",
        "52:54:00:AB:cd:EF",
        "53:54:00:12:34:56",
        "00:00:00:00:00:00",
        "52:54:00:12:34",
        "52-54-00-12-34-56",
        "52:54:00:12:34:5g",
        "5:54:00:12:34:56",
        "br-vlan100",
        "br0",
        "eth0.100",
        "br vlan",
        "br/0",
        "übr",
        "2027-06-30",
        "2028-02-29",
        "2027-02-29",
        "2027-13-01",
        "2027-00-10",
        "2027-06-31",
        "+202-06-30",
        "2027-6-30",
        "27-06-30",
        "2027-06-30 ",
        "0000-01-01",
        "user:alice",
        "user:alice@acme.example",
        "group:payments-devs",
        "user:",
        "user: ",
        "user:\u{3000}",
        "user:\u{a0}x",
        "user:a\u{7}",
        "user:a\tb",
        "user:\u{feff}",
        "user:x:y",
        "group:",
        "serviceaccount:ci:deployer",
        "serviceaccount:ci",
        "serviceaccount:CI:deployer",
        "serviceaccount:ci:deployer:x",
        "robot:x",
        "user",
        "#payments-alerts",
        "#a",
        "#",
        "payments",
        "#Payments",
        "#a.b_c-d",
        "##a",
        "@alice",
        "@acme/payments",
        "@acme/pay.ments_x",
        "@-alice",
        "@alice-",
        "@al--ice",
        "@",
        "@acme/",
        "@a/b/c",
        "payments@acme.example",
        "payments@acme",
        "a b@acme.example",
        "@@x.y",
        "x@@y.z",
        "x@y.z@w",
        "x@y\u{2028}.z",
        "a@b.",
        "cluster-us-*",
        "u1.*",
        "{dev,test}-*",
        "[a-c]*",
        "[",
        "{a",
        "a}",
        "\\",
        "*",
        "view",
        "kubevirt.io:edit",
        "acme:db-reader",
        "ClusterRole/view",
        "view ",
        "a@b",
        "0",
        "1",
        "+1",
        "-1",
        "-0",
        "-0.0",
        "-.0",
        "-0Ki",
        "-0e5",
        "-00.00",
        ".5",
        "5.",
        ".",
        "+.5",
        "500m",
        "2",
        "1Gi",
        "10G",
        "16GB",
        "1.5Gi",
        "1e3",
        "1E3",
        "1E",
        "1Ei",
        "1e",
        "1e+3",
        "1e-3",
        "1e-",
        "1ki",
        "1K",
        "1k",
        "1Ki3",
        "1n",
        "1u",
        "1m",
        "1M",
        "1.5n",
        "0.0000000001",
        "1e40",
        "1 Gi",
        " 1",
        "1_000",
        "0x10",
        "1..5",
        "1.2.3",
        "Gi",
        "e3",
        "99999999999999999999999999999999999999999",
        "1E18",
        "1Ei5",
        "1mi",
    ];

    /// Whether `text` is valid under the published keywords of `rule`, as
    /// a JSON Schema validator decides it.
    fn published_accepts(rule: &Published, text: &str) -> bool {
        let mut schema = serde_json::json!({"type": "string"});
        match rule.pattern {
            Some(pattern) => schema["pattern"] = pattern.into(),
            None => schema["minLength"] = 1.into(),
        }
        if let Some(max) = rule.max_length {
            schema["maxLength"] = max.into();
        }
        if rule.standard {
            schema["format"] = rule.format.into();
        }
        jsonschema::draft7::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap_or_else(|e| panic!("{}: {e}", rule.format))
            .is_valid(&serde_json::json!(text))
    }

    #[test]
    fn every_published_pattern_accepts_exactly_what_its_check_accepts() {
        let rules = published();
        let checks = formats();
        assert_eq!(rules.len(), checks.len());
        let long_label = "a".repeat(63);
        let long_prefix = format!(
            "{}.{}.{}.{}",
            long_label,
            long_label,
            long_label,
            "a".repeat(61)
        );
        let generated = [
            long_label.clone(),
            "a".repeat(64),
            format!("{long_prefix}/x"),
            format!("{long_prefix}a/x"),
            format!("x/{}", "a".repeat(63)),
            format!("x/{}", "a".repeat(64)),
            format!("#{}", "a".repeat(80)),
            format!("#{}", "a".repeat(81)),
            format!("@{}", "a".repeat(39)),
            format!("@{}", "a".repeat(40)),
            format!("@a/{}", "a".repeat(100)),
            format!("@a/{}", "a".repeat(101)),
            "a".repeat(253),
            "a".repeat(254),
            format!("serviceaccount:{long_label}:a"),
            format!("serviceaccount:{}a:a", long_label),
        ];
        let texts = TEXTS
            .iter()
            .copied()
            .chain(generated.iter().map(String::as_str));
        for text in texts {
            for (format, check) in &checks {
                let rule = rules.iter().find(|r| r.format == *format).expect(format);
                let published = published_accepts(rule, text);
                let kprov = check(text);
                if *format == Glob::FORMAT {
                    // Only non-empty: a glob's syntax is kprov's to check.
                    assert!(published || kprov.is_err(), "glob {text:?}");
                    continue;
                }
                if *format == super::super::Quantity::FORMAT && published && kprov.is_err() {
                    // The pattern has the syntax; precision below a nano
                    // and the i128 range are the parser's.
                    let e = super::super::Quantity::parse(text).expect_err(text);
                    assert!(
                        matches!(
                            e,
                            crate::model::quantity::QuantityError::TooPrecise { .. }
                                | crate::model::quantity::QuantityError::Overflow { .. }
                        ),
                        "quantity {text:?}: {e}"
                    );
                    continue;
                }
                assert_eq!(
                    published,
                    kprov.is_ok(),
                    "{format} {text:?}: pattern says {published}, kprov says {kprov:?}"
                );
            }
        }
    }

    #[test]
    fn published_examples_are_valid() {
        for (format, check) in formats() {
            let rule = published()
                .into_iter()
                .find(|r| r.format == format)
                .expect(format);
            assert!(!rule.examples.is_empty(), "{format}");
            for example in rule.examples {
                assert!(check(example).is_ok(), "{format} {example}");
                assert!(published_accepts(&rule, example), "{format} {example}");
            }
        }
    }

    #[test]
    fn mac_addresses_are_six_unicast_hex_pairs() {
        for ok in [
            "52:54:00:12:34:56",
            "52:54:00:AB:cd:EF",
            "00:00:00:00:00:00",
        ] {
            assert!(check_mac_address(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "52:54:00:12:34",
            "52-54-00-12-34-56",
            "52:54:00:12:34:5g",
            "525:4:00:12:34:56",
            "52:54:00:12:34:56:78",
            "01:00:5e:00:00:01",
            "ff:ff:ff:ff:ff:ff",
        ] {
            assert!(check_mac_address(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dns1123_labels() {
        for ok in [
            "a",
            "payments",
            "cluster-us-east-1-prod",
            "0abc",
            &"a".repeat(63),
        ] {
            assert!(check_dns1123_label(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "Payments",
            "a_b",
            "a.b",
            "a/b",
            "..",
            &"a".repeat(64),
        ] {
            assert!(check_dns1123_label(bad).is_err(), "{bad}");
        }
        assert!(
            check_dns1123_label("Payments")
                .unwrap_err()
                .contains("lower case")
        );
    }

    #[test]
    fn label_keys_and_values() {
        for ok in ["team", "app.kubernetes.io/name", "example.com/a_b.c"] {
            assert!(check_label_key(ok).is_ok(), "{ok}");
        }
        for bad in ["", "/a", "a/", "Example.com/a", "a b", "-a"] {
            assert!(check_label_key(bad).is_err(), "{bad}");
        }
        assert!(check_label_value("").is_ok());
        assert!(check_label_value("v1.2_x").is_ok());
        assert!(check_label_value("a b").is_err());
        assert!(check_label_value(&"a".repeat(64)).is_err());
    }

    #[test]
    fn subjects_round_trip() {
        for s in [
            "user:alice@example.com",
            "group:payments-leads",
            "serviceaccount:flux-system:kustomize",
        ] {
            assert_eq!(Subject::from_str(s).unwrap().to_string(), s);
        }
        for bad in [
            "alice",
            "user:",
            "robot:x",
            "serviceaccount:ns",
            "serviceaccount:NS:x",
        ] {
            assert!(Subject::from_str(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn globs_match_whole_names() {
        let g: Glob = "cluster-us-*".parse().unwrap();
        assert!(g.is_match("cluster-us-east-1-prod"));
        assert!(!g.is_match("cluster-eu-west-1-prod"));
        let g: Glob = "u1.*".parse().unwrap();
        assert!(g.is_match("u1.large"));
        assert!(!g.is_match("cu1.large"));
        assert!(Glob::from_str("[").is_err());
    }

    proptest::proptest! {
        /// The plain-text fast paths answer as globset itself would.
        #[test]
        fn fast_paths_agree_with_globset(
            pattern in r"[ab.*?/-]{1,5}|[ab-]{1,3}[*]|[ab]\{a,b\}|[ab]\[ab\]|a\\[*b]",
            name in "[ab.*/-]{0,6}",
        ) {
            let Ok(glob) = Glob::from_str(&pattern) else { return Ok(()) };
            let regex = globset::GlobBuilder::new(&pattern)
                .literal_separator(false)
                .build()
                .unwrap()
                .compile_matcher();
            proptest::prop_assert_eq!(glob.is_match(&name), regex.is_match(&name));
            proptest::prop_assert_eq!(glob.is_match(&pattern), regex.is_match(&pattern));
            if let Some(prefix) = pattern.strip_suffix('*') {
                for candidate in [prefix.to_owned(), format!("{prefix}x/y")] {
                    proptest::prop_assert_eq!(glob.is_match(&candidate), regex.is_match(&candidate));
                }
            }
        }
    }

    #[test]
    fn dates() {
        assert!(check_date("2027-06-30").is_ok());
        assert!(check_date("2028-02-29").is_ok());
        for bad in [
            "2027-02-29",
            "2027-13-01",
            "2027-6-30",
            "30-06-2027",
            "2027-06-31",
        ] {
            assert!(check_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slack_channels_and_github_handles() {
        assert!(check_slack_channel("#checkout").is_ok());
        assert!(check_slack_channel("#ops_alerts-2.x").is_ok());
        for bad in [
            "checkout",
            "#",
            "#Checkout",
            "#a b",
            &format!("#{}", "a".repeat(81)),
        ] {
            assert!(check_slack_channel(bad).is_err(), "{bad}");
        }
        assert!(
            check_slack_channel("checkout")
                .unwrap_err()
                .contains("`#checkout`")
        );
        for ok in [
            "@alice",
            "@acme/payments-leads",
            "@a-b/c_d.e",
            "alice@acme.example",
        ] {
            assert!(check_github_handle(ok).is_ok(), "{ok}");
        }
        for bad in [
            "alice",
            "@",
            "@-a",
            "@a--b",
            "@acme/",
            "@acme/a b",
            "a@b",
            "@a/b/c",
        ] {
            assert!(check_github_handle(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn port_names() {
        assert!(check_port_name("ssh").is_ok());
        assert!(check_port_name("http-8080").is_ok());
        for bad in ["8080", "a-very-long-port-name", "SSH", "a--b"] {
            assert!(check_port_name(bad).is_err(), "{bad}");
        }
    }
}
