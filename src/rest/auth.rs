//! REST v2 auth and user endpoints: login, logout, refresh, session,
//! version, users/me.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::client::{Auth, RestClient};
use super::error::RestError;
use super::timestamp;

/// `POST /v2/auth/login` body.
#[derive(Serialize)]
struct LoginRequest<'a> {
    login: &'a str,
    password: &'a str,
}

/// `POST /v2/auth/refresh` body.
#[derive(Serialize)]
struct RefreshRequest<'a> {
    token: &'a str,
}

/// A bearer token, from login or refresh.
#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct TokenData {
    /// The JWT (or opaque) bearer token.
    pub token: String,
    /// When it expires (UTC), if the upstream says.
    #[serde(default, deserialize_with = "timestamp::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// The user the token belongs to.
    #[serde(default)]
    pub user_id: Option<i32>,
}

impl std::fmt::Debug for TokenData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenData")
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("user_id", &self.user_id)
            .finish()
    }
}

/// `GET /v2/users/me`: the caller's user record.
#[derive(Deserialize, Debug, Clone, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct MeData {
    /// Internal user id.
    pub user_id: i32,
    /// Login name.
    pub login: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// The user's network.
    pub network_id: i32,
    /// The user's default mailbox.
    pub mailbox_id: i32,
    /// `AuthLevel` name.
    pub auth_level: Option<String>,
    /// `Status` name.
    pub status: Option<String>,
    /// *(ext)* Company name.
    pub company: Option<String>,
    /// *(ext)* Phone number.
    pub phone: Option<String>,
    /// *(ext)* Last login time.
    #[serde(deserialize_with = "timestamp::option")]
    pub last_login: Option<OffsetDateTime>,
}

/// `GET /v2/auth/version`.
#[derive(Deserialize, Debug, Clone)]
pub struct VersionData {
    /// The REST API version, e.g. `2.6`.
    pub version: String,
}

impl RestClient {
    /// `POST /v2/auth/login`: trade a login and password for a token.
    pub async fn login(&self, login: &str, password: &str) -> Result<TokenData, RestError> {
        self.post(
            "/v2/auth/login",
            &Auth::None,
            Some(&LoginRequest { login, password }),
        )
        .await
    }

    /// `POST /v2/auth/refresh`: trade a (possibly just expired) token for a
    /// new one.
    pub async fn refresh(&self, token: &str) -> Result<TokenData, RestError> {
        self.post(
            "/v2/auth/refresh",
            &Auth::Bearer(token.into()),
            Some(&RefreshRequest { token }),
        )
        .await
    }

    /// `POST /v2/auth/logout`: end the upstream session of `auth`.
    pub async fn logout(&self, auth: &Auth) -> Result<(), RestError> {
        let _: Option<serde_json::Value> = self.post("/v2/auth/logout", auth, None::<&()>).await?;
        Ok(())
    }

    /// `GET /v2/users/me`.
    pub async fn me(&self, auth: &Auth) -> Result<MeData, RestError> {
        self.get("/v2/users/me", auth).await
    }

    /// `GET /v2/auth/version` (no credential needed).
    pub async fn version(&self) -> Result<VersionData, RestError> {
        self.get("/v2/auth/version", &Auth::None).await
    }
}
