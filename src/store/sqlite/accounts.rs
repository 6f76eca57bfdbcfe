//! SQL for who uses payorch and what operators did: tenants, their API keys, the audit log.
//! Not authentication itself (the server checks hashes and revocation).

use async_trait::async_trait;
use rusqlite::params;
use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::{SqliteStore, encode, insert_new, into_page, page_size, query_bodies, sql_error};
use crate::clock::Timestamp;
use crate::id::{ApiKeyId, AuditId};
use crate::model::{ApiKey, RateLimit, Tenant, TenantId};
use crate::store::{ApiKeyStore, AuditEntry, AuditLog, Page, StoreError, StoreResult, TenantStore};

#[async_trait]
impl TenantStore for SqliteStore {
    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        let id = tenant.id.to_string();
        let body = encode("tenant", &id, tenant)?;
        let created_at = tenant.created_at.unix_millis();
        self.write(move |c| {
            insert_new(
                c,
                "tenant",
                &id,
                "INSERT INTO tenants (id, created_at, body) VALUES (?1, ?2, ?3)",
                params![id, created_at, body],
            )
        })
        .await
    }

    async fn get_tenant(&self, id: &TenantId) -> StoreResult<Option<Tenant>> {
        let id = id.to_string();
        self.read(move |c| {
            let sql = "SELECT id, body FROM tenants WHERE id = ?1";
            Ok(query_bodies(c, "tenant", sql, [&id])?.pop())
        })
        .await
    }

    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>> {
        self.read(|c| query_bodies(c, "tenant", "SELECT id, body FROM tenants ORDER BY id", []))
            .await
    }
}

#[async_trait]
impl ApiKeyStore for SqliteStore {
    async fn create_api_key(&self, key: &ApiKey) -> StoreResult<()> {
        let id = key.id.to_string();
        let body = encode("API key", &id, key)?;
        let (tenant, hash) = (key.tenant.to_string(), key.hash.clone());
        let created_at = key.created_at.unix_millis();
        let revoked_at = key.revoked_at.map(Timestamp::unix_millis);
        self.write(move |c| {
            insert_new(
                c,
                "API key",
                &id,
                "INSERT INTO api_keys (id, tenant, hash, created_at, revoked_at, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, tenant, hash, created_at, revoked_at, body],
            )
        })
        .await
    }

    async fn find_api_key_by_hash(&self, hash: &str) -> StoreResult<Option<ApiKey>> {
        let hash = hash.to_string();
        self.read(move |c| {
            let sql = "SELECT id, body FROM api_keys WHERE hash = ?1";
            Ok(query_bodies(c, "API key", sql, [&hash])?.pop())
        })
        .await
    }

    async fn list_api_keys(&self, tenant: &TenantId) -> StoreResult<Vec<ApiKey>> {
        let tenant = tenant.to_string();
        self.read(move |c| {
            let sql = "SELECT id, body FROM api_keys WHERE tenant = ?1 ORDER BY created_at, id";
            query_bodies(c, "API key", sql, [&tenant])
        })
        .await
    }

    async fn revoke_api_key(
        &self,
        tenant: &TenantId,
        id: &ApiKeyId,
        at: Timestamp,
    ) -> StoreResult<ApiKey> {
        let (tenant, id) = (tenant.to_string(), id.to_string());
        self.write(move |c| {
            let mut key = tenant_key(c, &tenant, &id)?;
            if key.revoked_at.is_none() {
                key.revoked_at = Some(at);
                let body = encode("API key", &id, &key)?;
                c.prepare_cached("UPDATE api_keys SET revoked_at = ?1, body = ?2 WHERE id = ?3")
                    .and_then(|mut s| s.execute(params![at.unix_millis(), body, id]))
                    .map_err(|e| sql_error(&format!("revoke API key `{id}`"), e))?;
            }
            Ok(key)
        })
        .await
    }

    async fn set_api_key_rate_limit(
        &self,
        tenant: &TenantId,
        id: &ApiKeyId,
        limit: Option<RateLimit>,
    ) -> StoreResult<ApiKey> {
        let (tenant, id) = (tenant.to_string(), id.to_string());
        self.write(move |c| {
            let mut key = tenant_key(c, &tenant, &id)?;
            key.rate_limit = limit;
            let body = encode("API key", &id, &key)?;
            c.prepare_cached("UPDATE api_keys SET body = ?1 WHERE id = ?2")
                .and_then(|mut s| s.execute(params![body, id]))
                .map_err(|e| sql_error(&format!("update API key `{id}`"), e))?;
            Ok(key)
        })
        .await
    }
}

/// The key `id` of `tenant`, or [`StoreError::NotFound`].
fn tenant_key(c: &rusqlite::Connection, tenant: &str, id: &str) -> StoreResult<ApiKey> {
    let sql = "SELECT id, body FROM api_keys WHERE id = ?1 AND tenant = ?2";
    query_bodies(c, "API key", sql, [id, tenant])?
        .pop()
        .ok_or_else(|| StoreError::NotFound {
            entity: "API key",
            id: id.to_string(),
        })
}

#[async_trait]
impl AuditLog for SqliteStore {
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        let id = entry.id.to_string();
        let body = encode("audit entry", &id, entry)?;
        let (tenant, at, action) = (
            entry.tenant.to_string(),
            entry.at.unix_millis(),
            entry.action.as_str(),
        );
        self.write(move |c| {
            insert_new(
                c,
                "audit entry",
                &id,
                "INSERT INTO audit_log (id, tenant, at, action, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, tenant, at, action, body],
            )
        })
        .await
    }

    async fn list_audit(
        &self,
        tenant: Option<&TenantId>,
        starting_after: Option<&AuditId>,
        limit: u32,
    ) -> StoreResult<Page<AuditEntry>> {
        let limit = page_size(limit);
        let mut sql = String::from("SELECT id, body FROM audit_log WHERE 1 = 1");
        let mut args = Vec::new();
        if let Some(tenant) = tenant {
            sql.push_str(" AND tenant = ?");
            args.push(Value::Text(tenant.to_string()));
        }
        if let Some(after) = starting_after {
            sql.push_str(" AND id < ?");
            args.push(Value::Text(after.to_string()));
        }
        sql.push_str(" ORDER BY id DESC LIMIT ?");
        args.push(Value::Integer(i64::from(limit) + 1));
        self.read(move |c| {
            let entries = query_bodies(c, "audit entry", &sql, params_from_iter(args))?;
            Ok(into_page(entries, limit, |e: &AuditEntry| e.id.to_string()))
        })
        .await
    }
}
