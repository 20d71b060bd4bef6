//! Sandbox accounts: the built-in `demo` and `partner` parties and accounts
//! loaded from a TOML file of `[[account]]` tables, each with its network,
//! mailbox and (optionally) its trading-partner ID and interconnects.

use std::fmt;

use serde::Deserialize;

use crate::domain::AuthLevel;

/// Login of the built-in demo account.
pub const DEMO_LOGIN: &str = "demo";
/// Password of the built-in demo account.
pub const DEMO_PASSWORD: &str = "Demo#2026";
/// API key of the built-in demo account.
pub const DEMO_API_KEY: &str = "demo-api-key";
/// ECGrid ID of the built-in demo account (`ZZ` / `ECGRIDDEMO`).
pub const DEMO_ECGRID_ID: i32 = 100101;
/// Login of the built-in partner account.
pub const PARTNER_LOGIN: &str = "partner";
/// Password of the built-in partner account.
pub const PARTNER_PASSWORD: &str = "Partner#2026";
/// API key of the built-in partner account.
pub const PARTNER_API_KEY: &str = "partner-api-key";
/// ECGrid ID of the built-in partner account (`ZZ` / `ECGRIDPARTNER`).
pub const PARTNER_ECGRID_ID: i32 = 200201;

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
    /// Name of the account's network (default `Network <id>`).
    #[serde(default)]
    pub network_name: Option<String>,
    /// Name of the account's mailbox (default `Mailbox <id>`).
    #[serde(default)]
    pub mailbox_name: Option<String>,
    /// The mailbox's ECGrid ID (trading-partner ID); without one the account
    /// can neither send nor receive parcels.
    #[serde(default)]
    pub ecgrid_id: Option<i32>,
    /// The ID's qualifier (ISA05/ISA07, UNB S002/S003 qualifier; default `ZZ`).
    #[serde(default = "default_qualifier")]
    pub qualifier: String,
    /// The ID itself (ISA06/ISA08, UNB S002/S003 id); required with `ecgrid_id`.
    #[serde(default)]
    pub tp_id: Option<String>,
    /// ECGrid IDs this account's ID is interconnected with (both ways).
    #[serde(default)]
    pub interconnects: Vec<i32>,
}

fn default_auth_level() -> AuthLevel {
    AuthLevel::NetworkAdmin
}

fn default_qualifier() -> String {
    "ZZ".to_string()
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
            .field("ecgrid_id", &self.ecgrid_id)
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
            network_name: Some("Demo Network".to_string()),
            mailbox_name: Some("Demo Mailbox".to_string()),
            ecgrid_id: Some(DEMO_ECGRID_ID),
            qualifier: "ZZ".to_string(),
            tp_id: Some("ECGRIDDEMO".to_string()),
            interconnects: vec![PARTNER_ECGRID_ID],
        }
    }

    /// The built-in partner account: login `partner`, password
    /// `Partner#2026`, API key `partner-api-key`, user 2042, network 2,
    /// mailbox 201, ECGrid ID 200201 (`ZZ` / `ECGRIDPARTNER`), interconnected
    /// with demo.
    pub fn partner() -> Account {
        Account {
            login: PARTNER_LOGIN.to_string(),
            password: PARTNER_PASSWORD.to_string(),
            api_key: PARTNER_API_KEY.to_string(),
            user_id: 2042,
            network_id: 2,
            mailbox_id: 201,
            auth_level: AuthLevel::NetworkAdmin,
            first_name: "Partner".to_string(),
            last_name: "User".to_string(),
            email: "partner@example.com".to_string(),
            company: "Partner Company".to_string(),
            phone: "+1-555-0200".to_string(),
            network_name: Some("Partner Network".to_string()),
            mailbox_name: Some("Partner Mailbox".to_string()),
            ecgrid_id: Some(PARTNER_ECGRID_ID),
            qualifier: "ZZ".to_string(),
            tp_id: Some("ECGRIDPARTNER".to_string()),
            interconnects: vec![DEMO_ECGRID_ID],
        }
    }

    /// The built-in accounts, `demo` then `partner`.
    pub fn builtins() -> Vec<Account> {
        vec![Account::demo(), Account::partner()]
    }

    /// The network's name (`Network <id>` when not given).
    pub fn network_name(&self) -> String {
        self.network_name
            .clone()
            .unwrap_or_else(|| format!("Network {}", self.network_id))
    }

    /// The mailbox's name (`Mailbox <id>` when not given).
    pub fn mailbox_name(&self) -> String {
        self.mailbox_name
            .clone()
            .unwrap_or_else(|| format!("Mailbox {}", self.mailbox_id))
    }
}

/// The parties of a start banner: each account's login, its credentials
/// when built in (they are public), its ECGrid ID with qualifier/ID and its
/// mailbox id. Secrets of accounts from a file are never printed.
pub fn parties_summary(accounts: &[Account]) -> String {
    let builtins = Account::builtins();
    accounts
        .iter()
        .map(|a| {
            let creds = if builtins.contains(a) {
                format!(", password {}, API key {}", a.password, a.api_key)
            } else {
                String::new()
            };
            let id = match (a.ecgrid_id, &a.tp_id) {
                (Some(e), Some(t)) => format!(", ECGrid ID {e} {}/{}", a.qualifier, t.trim()),
                _ => String::new(),
            };
            format!("login {}{creds}{id}, mailbox {}", a.login, a.mailbox_id)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtins_are_valid_and_interconnected() {
        let b = Account::builtins();
        super::super::accounts_file::validate_accounts(&b).unwrap();
        assert_eq!(b[0].interconnects, vec![PARTNER_ECGRID_ID]);
        assert_eq!(b[1].interconnects, vec![DEMO_ECGRID_ID]);
        assert_eq!(b[1].tp_id.as_deref(), Some("ECGRIDPARTNER"));
        let line = parties_summary(&b);
        assert!(line.contains("login partner, password Partner#2026, API key partner-api-key, ECGrid ID 200201 ZZ/ECGRIDPARTNER, mailbox 201"), "{line}");
    }
}
