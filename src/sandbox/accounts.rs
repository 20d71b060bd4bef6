//! Sandbox accounts: the built-in demo account and accounts loaded from a
//! TOML file of `[[account]]` tables.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use serde::Deserialize;

use crate::domain::AuthLevel;

/// Login of the built-in demo account.
pub const DEMO_LOGIN: &str = "demo";
/// Password of the built-in demo account.
pub const DEMO_PASSWORD: &str = "Demo#2026";
/// API key of the built-in demo account.
pub const DEMO_API_KEY: &str = "demo-api-key";

/// One sandbox user with its credentials and scope.
///
/// In TOML (`[[account]]` tables) the field names are snake_case; unknown
/// fields are refused so that typos do not pass silently. `Debug` never
/// prints the password or the API key.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// Login name for `POST /v2/auth/login`.
    pub login: String,
    /// Password for `POST /v2/auth/login`.
    pub password: String,
    /// Value accepted in the `X-API-Key` header.
    pub api_key: String,
    /// ECGrid user id.
    pub user_id: i32,
    /// The user's network id (default scope of callbacks).
    pub network_id: i32,
    /// The user's mailbox id (default mailbox of fired events).
    pub mailbox_id: i32,
    /// Permission level reported by session and users/me.
    #[serde(default = "default_auth_level")]
    pub auth_level: AuthLevel,
    /// First name.
    #[serde(default)]
    pub first_name: String,
    /// Last name.
    #[serde(default)]
    pub last_name: String,
    /// E-mail address.
    #[serde(default)]
    pub email: String,
    /// Company name.
    #[serde(default)]
    pub company: String,
    /// Phone number.
    #[serde(default)]
    pub phone: String,
}

fn default_auth_level() -> AuthLevel {
    AuthLevel::NetworkAdmin
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("login", &self.login)
            .field("password", &"<redacted>")
            .field("api_key", &"<redacted>")
            .field("user_id", &self.user_id)
            .field("network_id", &self.network_id)
            .field("mailbox_id", &self.mailbox_id)
            .field("auth_level", &self.auth_level)
            .finish_non_exhaustive()
    }
}

impl Account {
    /// The built-in demo account: login `demo`, password `Demo#2026`, API key
    /// `demo-api-key`, user 1042, network 1, mailbox 101, `NetworkAdmin`.
    pub fn demo() -> Account {
        Account {
            login: DEMO_LOGIN.to_string(),
            password: DEMO_PASSWORD.to_string(),
            api_key: DEMO_API_KEY.to_string(),
            user_id: 1042,
            network_id: 1,
            mailbox_id: 101,
            auth_level: AuthLevel::NetworkAdmin,
            first_name: "Demo".to_string(),
            last_name: "User".to_string(),
            email: "demo@example.com".to_string(),
            company: "Demo Company".to_string(),
            phone: "+1-555-0100".to_string(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountsFile {
    #[serde(default)]
    account: Vec<Account>,
}

/// Loads accounts from a TOML file of `[[account]]` tables. Errors name the
/// file and the problem (unreadable, bad TOML, missing field, empty
/// credential, non-positive id, duplicate login or API key).
pub fn load_accounts(path: &Path) -> Result<Vec<Account>, String> {
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read accounts file {name}: {e}"))?;
    let file: AccountsFile =
        toml::from_str(&text).map_err(|e| format!("invalid accounts file {name}: {e}"))?;
    if file.account.is_empty() {
        return Err(format!("accounts file {name} defines no [[account]] table"));
    }
    validate_accounts(&file.account).map_err(|e| format!("invalid accounts file {name}: {e}"))?;
    Ok(file.account)
}

/// Checks a set of accounts: non-empty credentials, positive ids, unique
/// logins and API keys.
pub fn validate_accounts(accounts: &[Account]) -> Result<(), String> {
    let mut logins = HashSet::new();
    let mut keys = HashSet::new();
    for (i, a) in accounts.iter().enumerate() {
        let n = i + 1;
        if a.login.trim().is_empty() {
            return Err(format!("account #{n}: login must not be empty"));
        }
        let who = format!("account #{n} ({})", a.login);
        if a.password.is_empty() {
            return Err(format!("{who}: password must not be empty"));
        }
        if a.api_key.trim().is_empty() {
            return Err(format!("{who}: api_key must not be empty"));
        }
        if a.user_id <= 0 || a.network_id <= 0 || a.mailbox_id <= 0 {
            return Err(format!(
                "{who}: user_id, network_id and mailbox_id must be positive"
            ));
        }
        if !logins.insert(a.login.to_ascii_lowercase()) {
            return Err(format!("{who}: duplicate login"));
        }
        if !keys.insert(a.api_key.clone()) {
            return Err(format!("{who}: api_key is already used by another account"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_accounts_and_reports_file_and_problem() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("a.toml");
        std::fs::write(
            &good,
            r#"
[[account]]
login = "alice"
password = "pw"
api_key = "k1"
user_id = 5
network_id = 2
mailbox_id = 20
auth_level = "MailboxAdmin"
"#,
        )
        .unwrap();
        let accounts = load_accounts(&good).unwrap();
        assert_eq!(accounts[0].login, "alice");
        assert_eq!(accounts[0].auth_level, AuthLevel::MailboxAdmin);
        assert!(!format!("{:?}", accounts[0]).contains("k1"));

        let bad = dir.path().join("b.toml");
        std::fs::write(&bad, "[[account]]\nlogin = \"x\"\n").unwrap();
        let e = load_accounts(&bad).unwrap_err();
        assert!(e.contains("b.toml") && e.contains("missing field"), "{e}");

        let dup = dir.path().join("c.toml");
        let one = "[[account]]\nlogin=\"a\"\npassword=\"p\"\napi_key=\"k\"\nuser_id=1\nnetwork_id=1\nmailbox_id=1\n";
        std::fs::write(&dup, format!("{one}{one}")).unwrap();
        let e = load_accounts(&dup).unwrap_err();
        assert!(e.contains("c.toml") && e.contains("duplicate login"), "{e}");

        let e = load_accounts(&dir.path().join("missing.toml")).unwrap_err();
        assert!(e.contains("missing.toml"), "{e}");
    }
}
