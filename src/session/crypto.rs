//! What makes a session safe to keep in Redis: the Redis key is a SHA-256
//! of the SessionID (never the SessionID), and the value is the session
//! record sealed with AES-256-GCM under `--session-key`.
//!
//! A sealed value is `0x01 ‖ nonce (12 bytes) ‖ ciphertext ‖ tag (16
//! bytes)`; the nonce is drawn from the OS CSPRNG for every write (2^32
//! writes under one key keep the collision chance below 2^-32, far more
//! than a session store makes between rotations). The Redis key is the
//! additional authenticated data, so a value copied under another
//! session's key does not open.
//!
//! The key is plain SHA-256, not an HMAC under `--session-key`: a SessionID
//! is 128 random bits, so its hash gives nothing away without the
//! SessionID, and a key that does not depend on `--session-key` stays the
//! same when the key is rotated (the values are then opened with
//! `--session-key-previous` and sealed again with the new key on use).

use std::fmt;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::digest::{digest, SHA256};

use super::SessionId;

/// The first byte of a sealed value: the format's version.
const SEALED_V1: u8 = 1;

/// Prefix of every session key in Redis.
pub const REDIS_KEY_PREFIX: &str = "ecgrid-gateway:session:";

/// A 256-bit `--session-key`. Its `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey([u8; 32]);

impl SessionKey {
    /// Reads 64 hex digits (either case); `None` for anything else.
    pub fn from_hex(text: &str) -> Option<Self> {
        let text = text.trim().as_bytes();
        if text.len() != 64 {
            return None;
        }
        let mut key = [0u8; 32];
        for (i, pair) in text.chunks(2).enumerate() {
            let high = (pair[0] as char).to_digit(16)?;
            let low = (pair[1] as char).to_digit(16)?;
            key[i] = (high * 16 + low) as u8;
        }
        Some(SessionKey(key))
    }

    fn aead(&self) -> LessSafeKey {
        // 32 bytes is AES-256's key length: this cannot fail.
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.0).expect("a 256-bit key"))
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey(<redacted>)")
    }
}

/// The Redis key of a session: the prefix and the SHA-256 of the
/// SessionID's 16 bytes, in lowercase hex.
pub fn redis_key(id: SessionId) -> String {
    let hash = digest(&SHA256, &id.to_bytes());
    let mut key = String::with_capacity(REDIS_KEY_PREFIX.len() + 64);
    key.push_str(REDIS_KEY_PREFIX);
    for byte in hash.as_ref() {
        key.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        key.push(char::from_digit(u32::from(byte & 0xF), 16).unwrap_or('0'));
    }
    key
}

/// The keys a store seals and opens with: the current one, and during a
/// rotation the previous one (open only).
#[derive(Clone)]
pub struct Sealer {
    current: LessSafeKey,
    previous: Option<LessSafeKey>,
}

/// Which key opened a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenedWith {
    /// `--session-key`.
    Current,
    /// `--session-key-previous`: the value should be sealed again.
    Previous,
}

impl Sealer {
    /// A sealer for `current`, also opening values of `previous`.
    pub fn new(current: &SessionKey, previous: Option<&SessionKey>) -> Self {
        Sealer {
            current: current.aead(),
            previous: previous.map(SessionKey::aead),
        }
    }

    /// `plain` sealed for the Redis key `aad`.
    pub fn seal(&self, plain: &[u8], aad: &str) -> Result<Vec<u8>, getrandom::Error> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::getrandom(&mut nonce)?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + plain.len() + 16);
        sealed.push(SEALED_V1);
        sealed.extend_from_slice(&nonce);
        let mut body = plain.to_vec();
        self.current
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad.as_bytes()),
                &mut body,
            )
            // Only a plaintext beyond GCM's 64 GiB limit fails.
            .map_err(|_| getrandom::Error::UNSUPPORTED)?;
        sealed.extend_from_slice(&body);
        Ok(sealed)
    }

    /// The plaintext of a sealed value stored under `aad`, or `None` when
    /// neither key opens it (another key, tampered, or not a sealed value).
    pub fn open(&self, sealed: &[u8], aad: &str) -> Option<(Vec<u8>, OpenedWith)> {
        let (&version, rest) = sealed.split_first()?;
        if version != SEALED_V1 || rest.len() < NONCE_LEN + 16 {
            return None;
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
        let try_key = |key: &LessSafeKey| {
            let mut body = body.to_vec();
            let plain = key
                .open_in_place(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(aad.as_bytes()),
                    &mut body,
                )
                .ok()?;
            Some(plain.to_vec())
        };
        if let Some(plain) = try_key(&self.current) {
            return Some((plain, OpenedWith::Current));
        }
        let plain = try_key(self.previous.as_ref()?)?;
        Some((plain, OpenedWith::Previous))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const KEY_B: &str = "F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF000102030405060708090A0B0C0D0E0F";

    #[test]
    fn keys_are_64_hex_digits_and_never_shown() {
        let key = SessionKey::from_hex(KEY_A).unwrap();
        assert_eq!(format!("{key:?}"), "SessionKey(<redacted>)");
        assert!(SessionKey::from_hex(KEY_B).is_some());
        for bad in [
            "",
            "00",
            &KEY_A[1..],
            &format!("{KEY_A}0"),
            &KEY_A.replace('a', "g"),
        ] {
            assert!(SessionKey::from_hex(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn redis_keys_hide_the_session_id() {
        let id = SessionId::parse("A1B2C3D4-E5F6-7890-ABCD-EF1234567890").unwrap();
        let key = redis_key(id);
        assert_eq!(key.len(), REDIS_KEY_PREFIX.len() + 64);
        assert!(!key.to_uppercase().contains("A1B2C3D4"));
        assert_eq!(key, redis_key(id));
        assert_ne!(key, redis_key(SessionId::generate().unwrap()));
    }

    #[test]
    fn sealed_values_open_only_with_their_key_and_redis_key() {
        let a = SessionKey::from_hex(KEY_A).unwrap();
        let b = SessionKey::from_hex(KEY_B).unwrap();
        let sealer = Sealer::new(&a, None);
        let sealed = sealer.seal(b"secret token", "k1").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(
            sealer.open(&sealed, "k1"),
            Some((b"secret token".to_vec(), OpenedWith::Current))
        );
        assert_eq!(sealer.open(&sealed, "k2"), None, "bound to its Redis key");
        assert_eq!(Sealer::new(&b, None).open(&sealed, "k1"), None);
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(sealer.open(&tampered, "k1"), None);
        assert_eq!(sealer.open(b"", "k1"), None);
        assert_eq!(sealer.open(&sealed[..20], "k1"), None);
        // Rotation: B is current, A previous.
        let rotated = Sealer::new(&b, Some(&a));
        assert_eq!(
            rotated.open(&sealed, "k1"),
            Some((b"secret token".to_vec(), OpenedWith::Previous))
        );
        // Two seals of one value differ (fresh nonce).
        assert_ne!(
            sealer.seal(b"x", "k").unwrap(),
            sealer.seal(b"x", "k").unwrap()
        );
    }
}
