//! The audit log: `AUDIT#<id>` items, listed newest first through gsi1 `AUDIT#<tenant>` (one
//! tenant's) or gsi2 `AUDIT` (every tenant's). `body` is the entry's JSON.

use async_trait::async_trait;

use super::item::{Item, ItemExt, decode, encode, s};
use super::query::{Filter, Listing};
use super::{DynamoStore, GSI1, GSI2};
use crate::id::AuditId;
use crate::model::TenantId;
use crate::store::{AuditEntry, AuditLog, Page, StoreResult};

fn decode_entry(item: &Item) -> StoreResult<AuditEntry> {
    decode("audit entry", item.string("pk")?, item.string("body")?)
}

#[async_trait]
impl AuditLog for DynamoStore {
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        let id = entry.id.as_str();
        let tenant = entry.tenant.as_str();
        let item = Item::from([
            ("pk".to_string(), s(format!("AUDIT#{id}"))),
            ("sk".to_string(), s("AUDIT")),
            ("tenant".to_string(), s(tenant)),
            ("body".to_string(), s(encode("audit entry", id, entry)?)),
            ("gsi1pk".to_string(), s(format!("AUDIT#{tenant}"))),
            ("gsi1sk".to_string(), s(id)),
            ("gsi2pk".to_string(), s("AUDIT")),
            ("gsi2sk".to_string(), s(id)),
        ]);
        self.create(item, "audit entry", id).await
    }

    /// Eventually consistent on AWS (an index query). gsi2 `AUDIT` is one partition for the
    /// whole table: fine for operator actions, which are few.
    async fn list_audit(
        &self,
        tenant: Option<&TenantId>,
        starting_after: Option<&AuditId>,
        limit: u32,
    ) -> StoreResult<Page<AuditEntry>> {
        let (index, pk, sk, partition) = match tenant {
            Some(t) => (GSI1, "gsi1pk", "gsi1sk", format!("AUDIT#{}", t.as_str())),
            None => (GSI2, "gsi2pk", "gsi2sk", "AUDIT".to_string()),
        };
        let listing = Listing {
            index,
            pk,
            sk,
            partition,
            before: starting_after.map(AuditId::as_str),
            filter: Filter::default(),
            limit,
        };
        self.list_newest(listing, decode_entry, |e: &AuditEntry| e.id.to_string())
            .await
    }
}
