//! Sessions in Redis (issue 18): real gateway processes (`serve --sessions
//! redis://…`) on one REST sandbox (in this test's process) and one
//! `redis-server` of the test's own (`support::redis`).
//!
//! - a session from Login on A works on B; Logout on B is refused on A
//!   within the documented bound (2 s re-check; the goal is 5 s);
//! - a restarted instance keeps the sessions;
//! - Redis killed or paused: SessionID calls fault (`soap:Server`) within
//!   the bound, API-key calls are unaffected, and sessions work again once
//!   Redis is back;
//! - Redis holds neither a SessionID nor a token nor the password in plain
//!   text, and every session key has the idle timeout as its TTL.

mod support;

use std::time::{Duration, Instant};

use ecgrid_gateway::sandbox::{DEMO_API_KEY, DEMO_LOGIN, DEMO_PASSWORD};
use support::api::{test_config, Api};
use support::binary::Running;
use support::redis::{spawn_redis_gateway, RedisServer, SESSION_KEY as KEY};
use support::{envelope, text_of, Soap, NS41, PATH41};

/// One gateway process.
struct Instance {
    _child: Running,
    url: String,
}

/// Starts `serve` on a free port against `upstream`, sessions in `redis`.
async fn start_instance(upstream: &str, redis: &str) -> Instance {
    let extra = [
        "--session-idle-timeout",
        "10m",
        "--upstream-timeout",
        "5s",
        "--workers",
        "2",
    ];
    let (child, url) = spawn_redis_gateway(upstream, redis, &extra).await;
    Instance { _child: child, url }
}

/// A SOAP 1.1 call of `op`: HTTP status and body.
async fn call(url: &str, op: &str, params: &[(&str, &str)]) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(format!("{url}{PATH41}"))
        .header("Content-Type", "text/xml; charset=utf-8")
        .body(envelope(Soap::V11, NS41, op, params))
        .timeout(Duration::from_secs(15))
        .send()
        .await
        .expect("gateway answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn login(url: &str) -> String {
    let (status, body) = call(
        url,
        "Login",
        &[("LoginName", DEMO_LOGIN), ("Password", DEMO_PASSWORD)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    text_of(&body, "LoginResult").expect("LoginResult")
}

/// WhoAmI as `session`: Ok(login name) or Err((faultcode, faultstring)).
async fn whoami(url: &str, session: &str) -> Result<String, (String, String)> {
    let (status, body) = call(url, "WhoAmI", &[("SessionID", session)]).await;
    if status == 200 {
        Ok(text_of(&body, "LoginName").unwrap_or_else(|| panic!("no LoginName: {body}")))
    } else {
        Err((
            text_of(&body, "faultcode").unwrap_or_else(|| panic!("no fault: {status} {body}")),
            text_of(&body, "faultstring").unwrap_or_default(),
        ))
    }
}

async fn sandbox() -> Api {
    Api::start(test_config()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_works_on_every_instance_and_a_logout_anywhere_ends_it_within_the_bound() {
    let api = sandbox().await;
    let redis = RedisServer::start();
    let a = start_instance(&api.base, &redis.url()).await;
    let b = start_instance(&api.base, &redis.url()).await;

    let session = login(&a.url).await;
    assert_eq!(whoami(&a.url, &session).await.unwrap(), DEMO_LOGIN);
    assert_eq!(
        whoami(&b.url, &session).await.unwrap(),
        DEMO_LOGIN,
        "B reads A's session"
    );
    // A has the session in its near-cache now; B ends it.
    assert_eq!(whoami(&a.url, &session).await.unwrap(), DEMO_LOGIN);
    let (status, body) = call(&b.url, "Logout", &[("SessionID", &session)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        text_of(&body, "LogoutResult").as_deref(),
        Some("1"),
        "{body}"
    );
    let ended = Instant::now();
    assert!(
        whoami(&b.url, &session).await.is_err(),
        "refused at once where it ended"
    );
    // A refuses it within the documented 2 s re-check (goal: 5 s).
    let refused_after = loop {
        match whoami(&a.url, &session).await {
            Err((code, message)) => {
                assert_eq!(code, "soap:Client", "{message}");
                assert!(message.contains("call Login again"), "{message}");
                break ended.elapsed();
            }
            Ok(_) => {
                assert!(
                    ended.elapsed() < Duration::from_secs(5),
                    "A still accepts a session ended on B after 5 s"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert!(
        refused_after <= Duration::from_secs(3),
        "A refused the ended session only after {refused_after:?} (bound: 2 s + a round trip)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_instance_keeps_its_sessions() {
    let api = sandbox().await;
    let redis = RedisServer::start();
    let a = start_instance(&api.base, &redis.url()).await;
    let session = login(&a.url).await;
    assert_eq!(whoami(&a.url, &session).await.unwrap(), DEMO_LOGIN);
    drop(a);
    let again = start_instance(&api.base, &redis.url()).await;
    assert_eq!(
        whoami(&again.url, &session).await.unwrap(),
        DEMO_LOGIN,
        "the session outlives the process that made it"
    );
}

/// Polls WhoAmI as `session` until it faults; each call must answer within
/// `per_call`, the fault must come within `within`. Returns the fault.
async fn fault_within(
    url: &str,
    session: &str,
    per_call: Duration,
    within: Duration,
) -> (String, String) {
    let started = Instant::now();
    loop {
        let call_started = Instant::now();
        let answer = whoami(url, session).await;
        assert!(
            call_started.elapsed() <= per_call,
            "a SessionID call took {:?} with Redis away (bound {per_call:?})",
            call_started.elapsed()
        );
        match answer {
            Err(fault) => return fault,
            Ok(_) => {
                assert!(started.elapsed() < within, "no fault within {within:?}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_away_means_server_faults_within_the_bound_api_keys_unaffected_and_recovery() {
    let api = sandbox().await;
    let mut redis = RedisServer::start();
    let a = start_instance(&api.base, &redis.url()).await;
    let session = login(&a.url).await;
    assert_eq!(whoami(&a.url, &session).await.unwrap(), DEMO_LOGIN);

    // Killed: connections refused.
    redis.kill();
    assert!(!redis.is_listening());
    let (code, message) = fault_within(
        &a.url,
        &session,
        Duration::from_secs(3),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(code, "soap:Server", "{message}");
    assert!(message.contains("session store"), "{message}");
    assert!(!message.contains(&session), "{message}");
    assert_eq!(
        whoami(&a.url, DEMO_API_KEY).await.unwrap(),
        DEMO_LOGIN,
        "API-key calls do not need Redis"
    );
    let (status, body) = call(
        &a.url,
        "Login",
        &[("LoginName", DEMO_LOGIN), ("Password", DEMO_PASSWORD)],
    )
    .await;
    assert_eq!(status, 500, "a Login cannot keep its session: {body}");
    assert_eq!(text_of(&body, "faultcode").as_deref(), Some("soap:Server"));

    // Back (its append-only file keeps the session): the gateway
    // reconnects by itself.
    redis.restart();
    let back = Instant::now();
    loop {
        match whoami(&a.url, &session).await {
            Ok(name) => {
                assert_eq!(name, DEMO_LOGIN);
                break;
            }
            Err(fault) => {
                assert!(
                    back.elapsed() < Duration::from_secs(10),
                    "no recovery 10 s after Redis returned: {fault:?}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    let fresh = login(&a.url).await;
    assert_eq!(whoami(&a.url, &fresh).await.unwrap(), DEMO_LOGIN);

    // Paused (SIGSTOP): the connection is up but nothing answers; the
    // call still ends within the store's timeout.
    let pid = redis.pid() as i32;
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    let paused = fault_within(
        &a.url,
        &fresh,
        Duration::from_secs(3),
        Duration::from_secs(6),
    )
    .await;
    unsafe { libc::kill(pid, libc::SIGCONT) };
    assert_eq!(paused.0, "soap:Server", "{paused:?}");
    assert!(paused.1.contains("session store"), "{paused:?}");
    assert_eq!(whoami(&a.url, DEMO_API_KEY).await.unwrap(), DEMO_LOGIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_holds_no_session_id_token_or_password_in_plain_text() {
    let api = sandbox().await;
    let redis = RedisServer::start();
    let a = start_instance(&api.base, &redis.url()).await;
    let sessions = [login(&a.url).await, login(&a.url).await];
    let dump = redis.dump();
    assert_eq!(
        dump.len(),
        2,
        "one key per session: {:?}",
        dump.iter().map(|d| &d.0).collect::<Vec<_>>()
    );
    for (key, value) in &dump {
        assert!(key.starts_with("ecgrid-gateway:session:"), "{key}");
        let text = String::from_utf8_lossy(value).to_lowercase();
        for session in &sessions {
            let lower = session.to_lowercase();
            let bare = lower.replace('-', "");
            for secret in [&lower, &bare, &lower[..8].to_string()] {
                assert!(
                    !key.contains(secret.as_str()),
                    "the key shows the SessionID"
                );
                assert!(
                    !text.contains(secret.as_str()),
                    "the value shows the SessionID"
                );
            }
        }
        for plain in [
            "token",
            "user_id",
            &DEMO_PASSWORD.to_lowercase(),
            "demo",
            "bearer",
        ] {
            assert!(!text.contains(plain), "{plain:?} readable in Redis");
        }
        assert_eq!(value[0], 1, "a sealed value starts with its format version");
        // A bearer token is a long printable run; ciphertext has none (a
        // run of 12 alphanumerics in random bytes: about 4e-8 per byte).
        let longest_run = value
            .split(|b| !b.is_ascii_alphanumeric())
            .map(<[u8]>::len)
            .max()
            .unwrap_or(0);
        assert!(
            longest_run < 12,
            "a {longest_run}-character readable run in a value"
        );
        let ttl = redis.pttl(key);
        assert!(
            (590_000..=600_000).contains(&ttl),
            "the TTL is the idle timeout (10 m): {ttl} ms"
        );
    }
    // The same value under another key does not open: copying A's
    // record over B's turns B into no session.
    let mut connection = redis.client().get_connection().unwrap();
    let _: () = redis::cmd("SET")
        .arg(&dump[1].0)
        .arg(&dump[0].1)
        .query(&mut connection)
        .unwrap();
    // Past the near-cache re-check, both SessionIDs are read again.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let answers = [
        whoami(&a.url, &sessions[0]).await,
        whoami(&a.url, &sessions[1]).await,
    ];
    assert_eq!(
        answers.iter().filter(|a| a.is_ok()).count(),
        1,
        "exactly the untouched session still works: {answers:?}"
    );
}

#[test]
fn redis_without_a_key_refuses_to_start_naming_the_flag_and_hiding_the_password() {
    let (code, stderr) = support::binary::run(
        &[
            "serve",
            "--sandbox",
            "--sessions",
            "redis://app:hunter2@127.0.0.1:6379/0",
        ],
        &[],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("needs --session-key HEX"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    let (code, stderr) = support::binary::run(
        &["serve", "--sandbox"],
        &[
            ("ECGRID_GATEWAY_SESSIONS", "redis://127.0.0.1:6379"),
            ("ECGRID_GATEWAY_SESSION_KEY", "abc"),
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--session-key: expected 64 hex digits"),
        "{stderr}"
    );
    // clap's help shows env values unless hidden: the key's is.
    let help = std::process::Command::new(support::binary::BIN)
        .args(["serve", "--help"])
        .env("ECGRID_GATEWAY_SESSION_KEY", KEY)
        .env(
            "ECGRID_GATEWAY_SESSIONS",
            "redis://app:hunter2@127.0.0.1:6379",
        )
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--session-key <HEX>"), "{help}");
    assert!(!help.contains(KEY) && !help.contains("hunter2"), "{help}");
}

/// The store opened on `redis` as `serve --sessions` would, sealing with
/// `key` (and opening with `previous` during a rotation).
async fn store_with(
    redis: &RedisServer,
    key: &str,
    previous: Option<&str>,
) -> ecgrid_gateway::session::SessionStore {
    use ecgrid_gateway::session::{SessionBackend, SessionKey, SessionStore};
    let backend = SessionBackend::Redis {
        target: ecgrid_gateway::session::RedisTarget::parse(&redis.url()).unwrap(),
        key: SessionKey::from_hex(key).unwrap(),
        previous_key: previous.map(|p| SessionKey::from_hex(p).unwrap()),
    };
    SessionStore::open(&backend, Duration::from_secs(60), 1000)
        .await
        .unwrap()
}

/// The store opened on `redis` with the tests' key.
async fn store_on(redis: &RedisServer) -> ecgrid_gateway::session::SessionStore {
    store_with(redis, KEY, None).await
}

/// A session as Login stores it.
fn a_session(user_id: i32) -> ecgrid_gateway::session::Session {
    ecgrid_gateway::session::Session {
        token: "t".into(),
        expires_at: None,
        user_id,
        created: time::OffsetDateTime::now_utc(),
        legacy_session_id: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_near_cache_answers_for_two_seconds_without_redis_then_asks_it() {
    use ecgrid_gateway::session::SessionId;
    let mut redis = RedisServer::start();
    let store = store_on(&redis).await;
    let id = SessionId::generate().unwrap();
    store.insert(id, a_session(9)).await.unwrap();
    redis.kill();
    // Well within the 2 s since Redis confirmed it (at the insert).
    let cached = store.get(id).await;
    assert_eq!(
        cached.unwrap().map(|s| s.user_id),
        Some(9),
        "answered from the near-cache"
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(
        store.get(id).await.is_err(),
        "past the re-check, Redis is asked (and is down)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_reseals_a_session_with_the_new_key_on_first_use() {
    use ecgrid_gateway::session::SessionId;
    const NEW: &str = "11223344556677889900aabbccddeeff11223344556677889900aabbccddeeff";
    let redis = RedisServer::start();
    let id = SessionId::generate().unwrap();
    store_on(&redis)
        .await
        .insert(id, a_session(5))
        .await
        .unwrap();
    // A fresh instance (empty near-cache) of each stage of the rotation.
    let new_only = store_with(&redis, NEW, None).await;
    assert!(
        new_only.get(id).await.unwrap().is_none(),
        "the new key alone cannot open it yet"
    );
    let rotating = store_with(&redis, NEW, Some(KEY)).await;
    assert_eq!(rotating.get(id).await.unwrap().map(|s| s.user_id), Some(5));
    let after = store_with(&redis, NEW, None).await;
    assert_eq!(
        after.get(id).await.unwrap().map(|s| s.user_id),
        Some(5),
        "sealed again with the new key by its first use during the rotation"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guid_shaped_api_key_is_read_from_redis_once_and_works_while_redis_is_down() {
    use ecgrid_gateway::session::SessionId;
    let mut redis = RedisServer::start();
    let store = store_on(&redis).await;
    let api_key = SessionId::parse("6F9619FF-8B86-D011-B42D-00C04FC964FF").unwrap();
    let other = SessionId::parse("0E984725-C51C-4BF4-9960-E1C80E27ABA0").unwrap();
    assert!(
        store.get(api_key).await.unwrap().is_none(),
        "no such session"
    );

    redis.kill();
    assert!(
        store.get(api_key).await.unwrap().is_none(),
        "known to be absent: answered without Redis"
    );
    let unknown = store.get(other).await;
    assert!(
        unknown.is_err(),
        "a GUID never seen must be asked of Redis: {:?}",
        unknown.map(|s| s.is_some())
    );

    // A Login here of that very GUID (which a fresh SessionID never is)
    // is found, not hidden by the absent entry.
    redis.restart();
    let session = a_session(7);
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.insert(api_key, session.clone()).await.is_err() {
        assert!(Instant::now() < deadline, "Redis did not come back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        store.get(api_key).await.unwrap().map(|s| s.user_id),
        Some(7)
    );
}
