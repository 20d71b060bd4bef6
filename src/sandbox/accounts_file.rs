//! The `--accounts` TOML file of `[[account]]` tables and the checks every
//! set of accounts passes (errors name the line and the field).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;

use super::accounts::Account;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountsFile {
    #[serde(default)]
    account: Vec<Account>,
}

/// Loads a TOML file of `[[account]]` tables and returns the built-in
/// accounts followed by the file's, validated together (so a file account
/// may be interconnected with `demo` or `partner`). Errors name the file,
/// and for a problem with one account its `[[account]]` line and the field.
pub fn load_accounts(path: &Path) -> Result<Vec<Account>, String> {
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read accounts file {name}: {e}"))?;
    let file: AccountsFile =
        toml::from_str(&text).map_err(|e| format!("invalid accounts file {name}: {e}"))?;
    if file.account.is_empty() {
        return Err(format!("accounts file {name} defines no [[account]] table"));
    }
    let builtins = Account::builtins();
    let skip = builtins.len();
    let mut all = builtins;
    all.extend(file.account);
    if let Err(e) = check_accounts(&all) {
        let place = match e.index.checked_sub(skip) {
            Some(i) => match table_line(&text, i) {
                Some(line) => format!("line {line} ([[account]] #{})", i + 1),
                None => format!("[[account]] #{}", i + 1),
            },
            None => format!("built-in account {}", all[e.index].login),
        };
        return Err(format!(
            "invalid accounts file {name}, {place} ({}): {} (the demo and partner accounts are built in)",
            all[e.index].login, e.message
        ));
    }
    Ok(all)
}

/// The 1-based line of the `n`-th (0-based) `[[account]]` header in `text`.
fn table_line(text: &str, n: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            t.starts_with("[[account]]") || t.starts_with("[[ account ]]")
        })
        .nth(n)
        .map(|(i, _)| i + 1)
}

/// A problem with one account of a set.
struct AccountError {
    index: usize,
    message: String,
}

/// Checks a set of accounts: non-empty credentials, positive ids, unique
/// logins and API keys, one network per mailbox, trading-partner IDs unique
/// and well formed, interconnects naming known IDs.
pub fn validate_accounts(accounts: &[Account]) -> Result<(), String> {
    check_accounts(accounts).map_err(|e| {
        format!(
            "account #{} ({}): {}",
            e.index + 1,
            accounts[e.index].login,
            e.message
        )
    })
}

fn check_accounts(accounts: &[Account]) -> Result<(), AccountError> {
    let mut logins = HashSet::new();
    let mut keys = HashSet::new();
    let mut mailbox_network: HashMap<i32, i32> = HashMap::new();
    // ECGrid ID -> (mailbox, QUALIFIER, ID)
    let mut ids: HashMap<i32, (i32, String, String)> = HashMap::new();
    let mut tp_names: HashMap<(String, String), i32> = HashMap::new();
    for (index, a) in accounts.iter().enumerate() {
        let fail = |message: String| AccountError { index, message };
        if a.login.trim().is_empty() {
            return Err(fail("field `login` must not be empty".into()));
        }
        if a.password.is_empty() {
            return Err(fail("field `password` must not be empty".into()));
        }
        if a.api_key.trim().is_empty() {
            return Err(fail("field `api_key` must not be empty".into()));
        }
        for (field, v) in [
            ("user_id", a.user_id),
            ("network_id", a.network_id),
            ("mailbox_id", a.mailbox_id),
        ] {
            if v <= 0 {
                return Err(fail(format!("field `{field}` must be positive (got {v})")));
            }
        }
        if !logins.insert(a.login.to_ascii_lowercase()) {
            return Err(fail("field `login`: duplicate login".into()));
        }
        if !keys.insert(a.api_key.clone()) {
            return Err(fail(
                "field `api_key`: api_key is already used by another account".into(),
            ));
        }
        match mailbox_network.insert(a.mailbox_id, a.network_id) {
            Some(n) if n != a.network_id => {
                return Err(fail(format!(
                    "field `network_id`: mailbox {} already belongs to network {n}",
                    a.mailbox_id
                )))
            }
            _ => {}
        }
        match (a.ecgrid_id, &a.tp_id) {
            (None, None) => {
                if !a.interconnects.is_empty() {
                    return Err(fail(
                        "field `interconnects` needs `ecgrid_id` and `tp_id`".into(),
                    ));
                }
            }
            (Some(_), None) => {
                return Err(fail("field `tp_id` is required with `ecgrid_id`".into()))
            }
            (None, Some(_)) => {
                return Err(fail("field `ecgrid_id` is required with `tp_id`".into()))
            }
            (Some(eid), Some(tp)) => {
                if eid <= 0 {
                    return Err(fail(format!(
                        "field `ecgrid_id` must be positive (got {eid})"
                    )));
                }
                check_qualifier(&a.qualifier).map_err(&fail)?;
                check_tp_id(tp).map_err(&fail)?;
                let q = a.qualifier.trim().to_ascii_uppercase();
                let t = tp.trim().to_ascii_uppercase();
                match ids.get(&eid) {
                    Some((m, q2, t2)) if *m != a.mailbox_id || *q2 != q || *t2 != t => {
                        return Err(fail(format!(
                            "field `ecgrid_id`: ECGrid ID {eid} already belongs to mailbox {m} as {q2}/{t2}"
                        )))
                    }
                    Some(_) => {}
                    None => {
                        if let Some(other) = tp_names.get(&(q.clone(), t.clone())) {
                            return Err(fail(format!(
                                "field `tp_id`: {q}/{t} is already ECGrid ID {other}"
                            )));
                        }
                        tp_names.insert((q.clone(), t.clone()), eid);
                        ids.insert(eid, (a.mailbox_id, q, t));
                    }
                }
            }
        }
    }
    for (index, a) in accounts.iter().enumerate() {
        for other in &a.interconnects {
            if Some(*other) == a.ecgrid_id {
                return Err(AccountError {
                    index,
                    message: format!(
                        "field `interconnects`: {other} is the account's own ECGrid ID"
                    ),
                });
            }
            if !ids.contains_key(other) {
                return Err(AccountError {
                    index,
                    message: format!(
                        "field `interconnects`: {other} is not the ecgrid_id of any account"
                    ),
                });
            }
        }
    }
    Ok(())
}

/// An ISA qualifier: 1 or 2 letters or digits.
fn check_qualifier(q: &str) -> Result<(), String> {
    let q = q.trim();
    if q.is_empty() || q.len() > 4 || !q.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!(
            "field `qualifier` must be 1 to 4 letters or digits, e.g. ZZ (got '{q}')"
        ));
    }
    Ok(())
}

/// A trading-partner ID: 1 to 35 printable ASCII characters, none of the
/// usual EDI separators.
fn check_tp_id(id: &str) -> Result<(), String> {
    let t = id.trim();
    if t.is_empty() || t.len() > 35 {
        return Err(format!(
            "field `tp_id` must be 1 to 35 characters (got {} after trimming)",
            t.len()
        ));
    }
    if let Some(c) = t
        .chars()
        .find(|c| !(c.is_ascii_graphic() || *c == ' ') || "*~+:'^|".contains(*c))
    {
        return Err(format!(
            "field `tp_id` must be printable ASCII without EDI separators (found {c:?})"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AuthLevel;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    const ONE: &str = "[[account]]\nlogin=\"a\"\npassword=\"p\"\napi_key=\"k\"\nuser_id=1\nnetwork_id=5\nmailbox_id=50\n";

    #[test]
    fn loads_accounts_after_the_builtins_and_reports_file_and_problem() {
        let dir = tempfile::tempdir().unwrap();
        let good = write(
            dir.path(),
            "a.toml",
            r#"
[[account]]
login = "alice"
password = "pw"
api_key = "k1"
user_id = 5
network_id = 3
mailbox_id = 30
auth_level = "MailboxAdmin"
ecgrid_id = 300301
tp_id = "ALICECO"
interconnects = [100101]
"#,
        );
        let accounts = load_accounts(&good).unwrap();
        assert_eq!(accounts.len(), 3);
        assert_eq!(accounts[0].login, "demo");
        assert_eq!(accounts[1].login, "partner");
        assert_eq!(accounts[2].login, "alice");
        assert_eq!(accounts[2].qualifier, "ZZ");
        assert_eq!(accounts[2].auth_level, AuthLevel::MailboxAdmin);
        assert!(!format!("{:?}", accounts[2]).contains("k1"));

        let bad = write(dir.path(), "b.toml", "[[account]]\nlogin = \"x\"\n");
        let e = load_accounts(&bad).unwrap_err();
        assert!(e.contains("b.toml") && e.contains("missing field"), "{e}");

        let dup = write(dir.path(), "c.toml", &format!("{ONE}\n{ONE}"));
        let e = load_accounts(&dup).unwrap_err();
        assert!(
            e.contains("c.toml")
                && e.contains("line 9 ([[account]] #2)")
                && e.contains("duplicate login"),
            "{e}"
        );

        let e = load_accounts(&dir.path().join("missing.toml")).unwrap_err();
        assert!(e.contains("missing.toml"), "{e}");
    }

    #[test]
    fn trading_partner_fields_are_checked_with_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("ecgrid_id=9\n", "field `tp_id` is required"),
            ("tp_id=\"X\"\n", "field `ecgrid_id` is required"),
            (
                "ecgrid_id=9\ntp_id=\"A*B\"\n",
                "field `tp_id` must be printable",
            ),
            (
                "ecgrid_id=9\ntp_id=\"X\"\nqualifier=\"Z Z\"\n",
                "field `qualifier`",
            ),
            (
                "ecgrid_id=9\ntp_id=\"X\"\ninterconnects=[4]\n",
                "4 is not the ecgrid_id",
            ),
            (
                "ecgrid_id=9\ntp_id=\"X\"\ninterconnects=[9]\n",
                "own ECGrid ID",
            ),
            (
                "ecgrid_id=100101\ntp_id=\"X\"\n",
                "already belongs to mailbox 101",
            ),
            (
                "ecgrid_id=9\ntp_id=\"ecgriddemo\"\n",
                "is already ECGrid ID 100101",
            ),
            ("interconnects=[100101]\n", "needs `ecgrid_id`"),
        ];
        for (extra, want) in cases {
            let p = write(dir.path(), "t.toml", &format!("# accounts\n{ONE}{extra}"));
            let e = load_accounts(&p).unwrap_err();
            assert!(
                e.contains("line 2 ([[account]] #1) (a)") && e.contains(want),
                "{extra}: {e}"
            );
        }
        let p = write(
            dir.path(),
            "m.toml",
            &ONE.replace("mailbox_id=50", "mailbox_id=101"),
        );
        let e = load_accounts(&p).unwrap_err();
        assert!(
            e.contains("mailbox 101 already belongs to network 1"),
            "{e}"
        );
    }
}
