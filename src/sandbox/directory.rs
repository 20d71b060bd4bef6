//! The sandbox's directory: networks, mailboxes, trading-partner (ECGrid)
//! IDs and interconnects, built once from the accounts, and their JSON
//! records of docs/REST.md.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{json, Value};
use time::OffsetDateTime;

use super::envelope::fmt_time;
use super::Account;

/// One network.
#[derive(Debug, Clone)]
pub(crate) struct NetworkEntry {
    pub id: i32,
    pub name: String,
    pub company: String,
}

/// One mailbox.
#[derive(Debug, Clone)]
pub(crate) struct MailboxEntry {
    pub id: i32,
    pub network_id: i32,
    pub name: String,
    pub company: String,
    pub ecgrid_ids: Vec<i32>,
}

/// One trading-partner ID.
#[derive(Debug, Clone)]
pub(crate) struct TpEntry {
    pub ecgrid_id: i32,
    pub mailbox_id: i32,
    pub network_id: i32,
    /// Upper-case, trimmed.
    pub qualifier: String,
    /// Upper-case, trimmed.
    pub id: String,
    pub description: String,
}

/// Networks, mailboxes, IDs and interconnects of the sandbox.
#[derive(Debug)]
pub(crate) struct Directory {
    pub networks: BTreeMap<i32, NetworkEntry>,
    pub mailboxes: BTreeMap<i32, MailboxEntry>,
    pub ids: BTreeMap<i32, TpEntry>,
    by_name: HashMap<(String, String), i32>,
    interconnects: HashSet<(i32, i32)>,
    /// `created`/`modified` of every directory object (the sandbox start).
    pub created: OffsetDateTime,
}

/// Upper-case, uppercase letters and digits of `name`, at most 15.
fn unique_id(prefix: &str, name: &str, id: i32) -> String {
    let s: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .take(15)
        .collect();
    if s.is_empty() {
        format!("{prefix}{id}")
    } else {
        s
    }
}

impl Directory {
    /// Builds the directory from validated accounts (the first account naming
    /// a network or mailbox names it).
    pub fn new(accounts: &[Account], created: OffsetDateTime) -> Directory {
        let mut d = Directory {
            networks: BTreeMap::new(),
            mailboxes: BTreeMap::new(),
            ids: BTreeMap::new(),
            by_name: HashMap::new(),
            interconnects: HashSet::new(),
            created,
        };
        for a in accounts {
            d.networks.entry(a.network_id).or_insert(NetworkEntry {
                id: a.network_id,
                name: a.network_name(),
                company: a.company.clone(),
            });
            let mailbox = d.mailboxes.entry(a.mailbox_id).or_insert(MailboxEntry {
                id: a.mailbox_id,
                network_id: a.network_id,
                name: a.mailbox_name(),
                company: a.company.clone(),
                ecgrid_ids: Vec::new(),
            });
            if let (Some(eid), Some(tp)) = (a.ecgrid_id, &a.tp_id) {
                if !mailbox.ecgrid_ids.contains(&eid) {
                    mailbox.ecgrid_ids.push(eid);
                }
                let entry = TpEntry {
                    ecgrid_id: eid,
                    mailbox_id: a.mailbox_id,
                    network_id: a.network_id,
                    qualifier: a.qualifier.trim().to_ascii_uppercase(),
                    id: tp.trim().to_ascii_uppercase(),
                    description: a.company.clone(),
                };
                d.by_name
                    .insert((entry.qualifier.clone(), entry.id.clone()), eid);
                d.ids.entry(eid).or_insert(entry);
                for other in &a.interconnects {
                    d.interconnects.insert((eid, *other));
                    d.interconnects.insert((*other, eid));
                }
            }
        }
        d
    }

    /// The ECGrid ID registered as `qualifier`/`id` (trimmed,
    /// case-insensitive); an empty qualifier matches any qualifier when
    /// exactly one ID has that id.
    pub fn find(&self, qualifier: &str, id: &str) -> Option<&TpEntry> {
        let q = qualifier.trim().to_ascii_uppercase();
        let i = id.trim().to_ascii_uppercase();
        if q.is_empty() {
            let mut hits = self.ids.values().filter(|t| t.id == i);
            let first = hits.next()?;
            return hits.next().is_none().then_some(first);
        }
        self.by_name.get(&(q, i)).and_then(|e| self.ids.get(e))
    }

    /// Every ID matching `qualifier` (empty = any) and `id`.
    pub fn search(&self, qualifier: &str, id: &str) -> Vec<&TpEntry> {
        let q = qualifier.trim().to_ascii_uppercase();
        let i = id.trim().to_ascii_uppercase();
        self.ids
            .values()
            .filter(|t| t.id == i && (q.is_empty() || t.qualifier == q))
            .collect()
    }

    /// True when the two ECGrid IDs are interconnected.
    pub fn interconnected(&self, a: i32, b: i32) -> bool {
        self.interconnects.contains(&(a, b))
    }

    /// The IDs `ecgrid_id` is interconnected with, ascending.
    pub fn partners_of(&self, ecgrid_id: i32) -> Vec<i32> {
        let mut v: Vec<i32> = self
            .interconnects
            .iter()
            .filter(|(a, _)| *a == ecgrid_id)
            .map(|(_, b)| *b)
            .collect();
        v.sort_unstable();
        v
    }

    /// The account's own trading-partner ID, if it has one.
    pub fn own_id(&self, account: &Account) -> Option<&TpEntry> {
        account.ecgrid_id.and_then(|e| self.ids.get(&e))
    }

    /// A network's name (`""` when unknown).
    pub fn network_name(&self, id: i32) -> String {
        self.networks
            .get(&id)
            .map(|n| n.name.clone())
            .unwrap_or_default()
    }

    /// A mailbox's name (`""` when unknown).
    pub fn mailbox_name(&self, id: i32) -> String {
        self.mailboxes
            .get(&id)
            .map(|m| m.name.clone())
            .unwrap_or_default()
    }

    /// The network record.
    pub fn network_json(&self, n: &NetworkEntry) -> Value {
        let t = fmt_time(self.created);
        json!({
            "networkId": n.id,
            "uniqueId": unique_id("NET", &n.name, n.id),
            "companyName": n.company,
            "status": "Active",
            "created": t,
            "modified": t,
            "name": n.name,
        })
    }

    /// The mailbox record.
    pub fn mailbox_json(&self, m: &MailboxEntry) -> Value {
        let t = fmt_time(self.created);
        json!({
            "mailboxId": m.id,
            "networkId": m.network_id,
            "uniqueId": unique_id("MBOX", &m.name, m.id),
            "companyName": m.company,
            "status": "Active",
            "created": t,
            "modified": t,
            "name": m.name,
            "description": m.name,
            "ecGridIds": m.ecgrid_ids,
        })
    }

    /// The ID record.
    pub fn id_json(&self, t: &TpEntry) -> Value {
        let mailbox_default = self
            .mailboxes
            .get(&t.mailbox_id)
            .and_then(|m| m.ecgrid_ids.first())
            == Some(&t.ecgrid_id);
        json!({
            "ecGridId": t.ecgrid_id,
            "mailboxId": t.mailbox_id,
            "networkId": t.network_id,
            "qualifier": t.qualifier,
            "id": t.id,
            "description": t.description,
            "status": "Active",
            "routingGroup": "Test",
            "ediStandard": "X12",
            "networkName": self.network_name(t.network_id),
            "mailboxName": self.mailbox_name(t.mailbox_id),
            "mailboxDefault": mailbox_default,
            "useType": "Test",
            "interconnects": self.partners_of(t.ecgrid_id),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_make_two_interconnected_parties() {
        let d = Directory::new(&Account::builtins(), OffsetDateTime::UNIX_EPOCH);
        assert_eq!(d.networks.len(), 2);
        assert_eq!(d.mailboxes.len(), 2);
        let demo = d.find("zz", " ecgriddemo ").unwrap();
        assert_eq!((demo.ecgrid_id, demo.mailbox_id), (100101, 101));
        let partner = d.find("", "ECGRIDPARTNER").unwrap();
        assert_eq!(partner.ecgrid_id, 200201);
        assert!(d.interconnected(100101, 200201) && d.interconnected(200201, 100101));
        assert!(!d.interconnected(100101, 100101));
        assert!(d.find("01", "ECGRIDDEMO").is_none());
        let j = d.id_json(partner);
        assert_eq!(j["mailboxName"], "Partner Mailbox");
        assert_eq!(j["interconnects"], json!([100101]));
        assert_eq!(d.network_json(&d.networks[&1])["uniqueId"], "DEMONETWORK");
    }
}
