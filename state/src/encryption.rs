//! Client-side encryption of everything a backend stores: state versions, journal
//! entries and saved plans, sealed with AES-256-GCM before they leave the process.
//!
//! A key is 32 random bytes (given in base64), or is derived from a passphrase with
//! Argon2id and a random salt stored in each envelope. Sealed bytes are a one-line JSON
//! envelope, versioned and naming the key it was sealed with:
//!
//! ```json
//! {"aic_encrypted":1,"kind":"state","key_id":"9f86d081884c7d65",
//!  "kdf":{"alg":"argon2id","salt":"…","m":19456,"t":2,"p":1},"nonce":"…","data":"…"}
//! ```
//!
//! `kdf` is present only for passphrases. Everything before `nonce` is authenticated
//! with the ciphertext (GCM's associated data), so neither the kind nor the key id can
//! be changed without the envelope failing to open. Rotation: an [`Encryption`] seals
//! with its primary secret and opens with the primary or the fallback.
//!
//! Owns the envelope format and the key handling; knows nothing of where bytes go.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// The envelope format this build writes and reads.
pub(crate) const ENVELOPE_VERSION: u32 = 1;
/// How every envelope starts; anything else is clear text.
const ENVELOPE_PREFIX: &[u8] = b"{\"aic_encrypted\":";
/// Argon2id cost (OWASP's recommendation): 19 MiB, 2 passes, 1 lane.
const ARGON2_M_KIB: u32 = 19_456;
const ARGON2_T: u32 = 2;
const ARGON2_P: u32 = 1;
const SALT_LEN: usize = 16;

/// A secret to seal and open with.
#[derive(Clone)]
pub enum Secret {
    /// A 256-bit key.
    Key([u8; 32]),
    /// A passphrase; the key is derived with Argon2id and a salt stored in each envelope.
    Passphrase(String),
}

impl Secret {
    /// A key given as base64 text of exactly 32 bytes (standard or URL-safe alphabet,
    /// padded or not), e.g. from `openssl rand -base64 32`.
    pub fn key_base64(text: &str) -> Result<Secret, EncryptionError> {
        let text = text.trim();
        let decoded = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok());
        let Some(bytes) = decoded else {
            return Err(EncryptionError::InvalidSecret {
                reason: "the key is not base64 text".to_owned(),
            });
        };
        let key: [u8; 32] =
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| EncryptionError::InvalidSecret {
                    reason: format!("the key is {} bytes long, not 32", bytes.len()),
                })?;
        Ok(Secret::Key(key))
    }

    /// A passphrase; it must not be empty.
    pub fn passphrase(text: &str) -> Result<Secret, EncryptionError> {
        if text.is_empty() {
            return Err(EncryptionError::InvalidSecret {
                reason: "the passphrase is empty".to_owned(),
            });
        }
        Ok(Secret::Passphrase(text.to_owned()))
    }

    /// A new random key, as base64 (for `aic state encrypt` to suggest one).
    pub fn generate_key_base64() -> String {
        let key = Aes256Gcm::generate_key(OsRng);
        STANDARD.encode(key)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Secret::Key(_) => f.write_str("Secret::Key(…)"),
            Secret::Passphrase(_) => f.write_str("Secret::Passphrase(…)"),
        }
    }
}

/// What the sealed bytes are, bound into the envelope so that one kind cannot be passed
/// off as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A state version (current or kept).
    State,
    /// One journal line.
    Journal,
    /// A saved plan.
    Plan,
}

/// Why bytes could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncryptionError {
    /// Encrypted, and no key is configured.
    #[error("encrypted with key {key_id}, and no encryption is configured")]
    NotConfigured {
        /// The envelope's key id.
        key_id: String,
    },
    /// Clear text, and encryption is configured.
    #[error("not encrypted, and encryption is configured")]
    Plaintext,
    /// None of the configured secrets is the one the envelope was sealed with.
    #[error("encrypted with key {key_id}; the configured keys are {}", configured.join(", "))]
    WrongKey {
        /// The envelope's key id.
        key_id: String,
        /// The ids the configured secrets have (for this envelope's salt).
        configured: Vec<String>,
    },
    /// The key matches, and the ciphertext or its header does not authenticate.
    #[error("the encrypted data (key {key_id}) fails authentication: it was changed or damaged")]
    Tampered {
        /// The envelope's key id.
        key_id: String,
    },
    /// Starts as an envelope but is not one: cut short or garbled.
    #[error("the encrypted data is cut short or damaged")]
    Damaged,
    /// An envelope of a newer format.
    #[error(
        "encryption envelope version {found} is newer than this aic reads ({ENVELOPE_VERSION})"
    )]
    NewerEnvelope {
        /// The version found.
        found: u32,
    },
    /// A key or passphrase that cannot be used.
    #[error("{reason}")]
    InvalidSecret {
        /// What is wrong with it.
        reason: String,
    },
}

/// The header of an envelope: everything authenticated besides the ciphertext.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Header {
    aic_encrypted: u32,
    kind: Kind,
    key_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kdf: Option<Kdf>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Kdf {
    alg: String,
    salt: String,
    m: u32,
    t: u32,
    p: u32,
}

#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    #[serde(flatten)]
    header: Header,
    nonce: String,
    data: String,
}

/// A derived key's origin: the index of the passphrase among the opening secrets, and
/// the salt.
type DerivedFor = (usize, Vec<u8>);

/// The encryption settings of a store: which secret seals, which open, and whether
/// clear text is accepted. Shared by every read and write of one store; derived
/// passphrase keys are cached per salt.
pub struct Encryption {
    seal: Option<Secret>,
    open: Vec<Secret>,
    accept_plaintext: bool,
    derived: Mutex<HashMap<DerivedFor, [u8; 32]>>,
    /// The salt sealing with a passphrase uses: the one of the last envelope opened with
    /// the sealing passphrase (so a state keeps its salt), else a new random one.
    salt: Mutex<Option<Vec<u8>>>,
}

impl fmt::Debug for Encryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Encryption")
            .field("seal", &self.seal)
            .field("open", &self.open)
            .field("accept_plaintext", &self.accept_plaintext)
            .finish_non_exhaustive()
    }
}

impl Default for Encryption {
    fn default() -> Self {
        Encryption::none()
    }
}

impl Encryption {
    /// No encryption: clear text is written and read; encrypted bytes are refused.
    pub fn none() -> Self {
        Encryption {
            seal: None,
            open: Vec::new(),
            accept_plaintext: true,
            derived: Mutex::new(HashMap::new()),
            salt: Mutex::new(None),
        }
    }

    /// Seals with `primary`; opens what `primary` or `fallback` sealed; refuses clear
    /// text (an `encryption` block).
    pub fn new(primary: Secret, fallback: Option<Secret>) -> Self {
        let mut open = vec![primary.clone()];
        open.extend(fallback);
        Encryption {
            seal: Some(primary),
            open,
            accept_plaintext: false,
            ..Encryption::none()
        }
    }

    /// The same settings, also reading clear text (`aic state encrypt`).
    pub fn accepting_plaintext(mut self) -> Self {
        self.accept_plaintext = true;
        self
    }

    /// The same keys for opening, writing clear text (`aic state decrypt`).
    pub fn decrypting(mut self) -> Self {
        self.seal = None;
        self.accept_plaintext = true;
        self
    }

    /// Whether this seals what it writes.
    pub fn seals(&self) -> bool {
        self.seal.is_some()
    }

    /// Whether `bytes` are an encryption envelope (rather than clear text).
    pub fn is_sealed(bytes: &[u8]) -> bool {
        let start = bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(bytes.len());
        bytes[start..].starts_with(ENVELOPE_PREFIX)
    }

    /// Seals `plaintext` as `kind` with the primary secret; without one, returns it as is.
    pub fn seal<'a>(
        &self,
        kind: Kind,
        plaintext: &'a [u8],
    ) -> Result<Cow<'a, [u8]>, EncryptionError> {
        let Some(secret) = &self.seal else {
            return Ok(Cow::Borrowed(plaintext));
        };
        let (key, kdf) = match secret {
            Secret::Key(key) => (*key, None),
            Secret::Passphrase(_) => {
                let salt = self
                    .salt
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .get_or_insert_with(|| {
                        let mut salt = vec![0u8; SALT_LEN];
                        OsRng.fill_bytes(&mut salt);
                        salt
                    })
                    .clone();
                let kdf = Kdf {
                    alg: "argon2id".to_owned(),
                    salt: STANDARD.encode(&salt),
                    m: ARGON2_M_KIB,
                    t: ARGON2_T,
                    p: ARGON2_P,
                };
                (self.derive(0, &kdf, &salt)?, Some(kdf))
            }
        };
        let header = Header {
            aic_encrypted: ENVELOPE_VERSION,
            kind,
            key_id: key_id(&key),
            kdf,
        };
        let aad = associated_data(&header);
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key));
        let nonce = Aes256Gcm::generate_nonce(OsRng);
        let data = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| EncryptionError::InvalidSecret {
                reason: "encryption failed".to_owned(),
            })?;
        let envelope = Envelope {
            header,
            nonce: STANDARD.encode(nonce),
            data: STANDARD.encode(data),
        };
        let bytes = serde_json::to_vec(&envelope).map_err(|e| EncryptionError::InvalidSecret {
            reason: e.to_string(),
        })?;
        Ok(Cow::Owned(bytes))
    }

    /// Opens `bytes` sealed as `kind`, or returns clear text as is when that is accepted.
    pub fn open<'a>(&self, kind: Kind, bytes: &'a [u8]) -> Result<Cow<'a, [u8]>, EncryptionError> {
        if !Self::is_sealed(bytes) {
            return if self.accept_plaintext {
                Ok(Cow::Borrowed(bytes))
            } else {
                Err(EncryptionError::Plaintext)
            };
        }
        let Ok(envelope) = serde_json::from_slice::<Envelope>(bytes) else {
            return Err(EncryptionError::Damaged);
        };
        let header = &envelope.header;
        if header.aic_encrypted > ENVELOPE_VERSION {
            return Err(EncryptionError::NewerEnvelope {
                found: header.aic_encrypted,
            });
        }
        let tampered = || EncryptionError::Tampered {
            key_id: header.key_id.clone(),
        };
        if self.open.is_empty() {
            return Err(EncryptionError::NotConfigured {
                key_id: header.key_id.clone(),
            });
        }
        if header.kind != kind {
            return Err(tampered());
        }
        let salt = match &header.kdf {
            Some(kdf) if kdf.alg == "argon2id" => {
                Some(STANDARD.decode(&kdf.salt).map_err(|_| tampered())?)
            }
            Some(_) => return Err(tampered()),
            None => None,
        };
        let mut configured = Vec::new();
        let mut key = None;
        for (at, secret) in self.open.iter().enumerate() {
            let candidate = match (secret, &header.kdf, &salt) {
                (Secret::Key(k), None, _) => *k,
                (Secret::Passphrase(_), Some(kdf), Some(salt)) => self.derive(at, kdf, salt)?,
                (Secret::Key(k), Some(_), _) => {
                    configured.push(key_id(k));
                    continue;
                }
                (Secret::Passphrase(_), _, _) => {
                    configured.push("(a passphrase)".to_owned());
                    continue;
                }
            };
            let id = key_id(&candidate);
            if id == header.key_id {
                key = Some((at, candidate));
                break;
            }
            configured.push(id);
        }
        let Some((at, key)) = key else {
            return Err(EncryptionError::WrongKey {
                key_id: header.key_id.clone(),
                configured,
            });
        };
        let nonce = STANDARD.decode(&envelope.nonce).map_err(|_| tampered())?;
        let data = STANDARD.decode(&envelope.data).map_err(|_| tampered())?;
        if nonce.len() != 12 {
            return Err(tampered());
        }
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key));
        let plaintext = cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &data,
                    aad: &associated_data(header),
                },
            )
            .map_err(|_| tampered())?;
        if let (0, Some(salt), Some(Secret::Passphrase(_))) = (at, salt, &self.seal) {
            let mut current = self
                .salt
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            current.get_or_insert(salt);
        }
        Ok(Cow::Owned(plaintext))
    }

    /// The key of passphrase `at` of [`Self::open`] for `salt`, derived once per salt.
    fn derive(&self, at: usize, kdf: &Kdf, salt: &[u8]) -> Result<[u8; 32], EncryptionError> {
        let cache_key = (at, salt.to_vec());
        if let Some(key) = self
            .derived
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&cache_key)
        {
            return Ok(*key);
        }
        let Some(Secret::Passphrase(passphrase)) = self.open.get(at) else {
            return Err(EncryptionError::InvalidSecret {
                reason: "no passphrase to derive a key from".to_owned(),
            });
        };
        let invalid = |e: argon2::Error| EncryptionError::InvalidSecret {
            reason: format!("cannot derive a key from the passphrase: {e}"),
        };
        let params = argon2::Params::new(kdf.m, kdf.t, kdf.p, Some(32)).map_err(invalid)?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut key = [0u8; 32];
        argon
            .hash_password_into(passphrase.as_bytes(), salt, &mut key)
            .map_err(invalid)?;
        self.derived
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(cache_key, key);
        Ok(key)
    }
}

/// The public id of a key: the first 8 bytes of a SHA-256 of it, in hex. Names the key
/// in envelopes and messages without revealing it.
fn key_id(key: &[u8; 32]) -> String {
    let digest = Sha256::new()
        .chain_update(b"aic state key id\0")
        .chain_update(key)
        .finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The associated data of an envelope: its header, serialised.
fn associated_data(header: &Header) -> Vec<u8> {
    serde_json::to_vec(header).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> Secret {
        Secret::Key([n; 32])
    }

    #[test]
    fn sealed_bytes_open_with_the_same_key_and_hide_the_plaintext() {
        let enc = Encryption::new(key(1), None);
        let sealed = enc
            .seal(Kind::State, b"{\"password\":\"hunter2\"}")
            .unwrap();
        assert!(Encryption::is_sealed(&sealed));
        let text = String::from_utf8(sealed.to_vec()).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains('\n'), "one line: {text}");
        let opened = enc.open(Kind::State, &sealed).unwrap();
        assert_eq!(&*opened, b"{\"password\":\"hunter2\"}");
        // Two seals of the same text differ (fresh nonce).
        assert_ne!(
            sealed,
            enc.seal(Kind::State, b"{\"password\":\"hunter2\"}")
                .unwrap()
        );
    }

    #[test]
    fn the_wrong_key_names_both_key_ids() {
        let sealed = Encryption::new(key(1), None)
            .seal(Kind::State, b"x")
            .unwrap()
            .into_owned();
        let err = Encryption::new(key(2), None)
            .open(Kind::State, &sealed)
            .unwrap_err();
        let EncryptionError::WrongKey { key_id, configured } = &err else {
            panic!("{err}")
        };
        assert_eq!(key_id, &super::key_id(&[1; 32]));
        assert_eq!(configured, &vec![super::key_id(&[2; 32])]);
    }

    #[test]
    fn any_changed_byte_fails_authentication() {
        let enc = Encryption::new(key(1), None);
        let sealed = enc.seal(Kind::State, b"some state").unwrap().into_owned();
        let text = String::from_utf8(sealed.clone()).unwrap();
        let data_at = text.find("\"data\":\"").unwrap() + 8;
        let mut flipped = sealed.clone();
        flipped[data_at] = if flipped[data_at] == b'A' { b'B' } else { b'A' };
        assert!(matches!(
            enc.open(Kind::State, &flipped),
            Err(EncryptionError::Tampered { .. })
        ));
        // The kind is authenticated: a journal line is not a state.
        assert!(matches!(
            enc.open(Kind::Journal, &sealed),
            Err(EncryptionError::Tampered { .. })
        ));
        let cut = &sealed[..sealed.len() - 5];
        assert_eq!(enc.open(Kind::State, cut), Err(EncryptionError::Damaged));
    }

    #[test]
    fn clear_text_is_refused_once_encryption_is_configured_unless_migrating() {
        let enc = Encryption::new(key(1), None);
        assert_eq!(
            enc.open(Kind::State, b"{\"format_version\":1}"),
            Err(EncryptionError::Plaintext)
        );
        let migrating = Encryption::new(key(1), None).accepting_plaintext();
        assert_eq!(
            &*migrating.open(Kind::State, b"{}").unwrap(),
            b"{}".as_slice()
        );
        let sealed = enc.seal(Kind::State, b"{}").unwrap().into_owned();
        assert!(matches!(
            Encryption::none().open(Kind::State, &sealed),
            Err(EncryptionError::NotConfigured { .. })
        ));
        let decrypting = Encryption::new(key(1), None).decrypting();
        assert_eq!(&*decrypting.open(Kind::State, &sealed).unwrap(), b"{}");
        assert_eq!(&*decrypting.seal(Kind::State, b"{}").unwrap(), b"{}");
    }

    #[test]
    fn rotation_opens_with_the_fallback_and_seals_with_the_primary() {
        let old = Encryption::new(key(1), None)
            .seal(Kind::State, b"v1")
            .unwrap()
            .into_owned();
        let rotating = Encryption::new(key(2), Some(key(1)));
        assert_eq!(&*rotating.open(Kind::State, &old).unwrap(), b"v1");
        let new = rotating.seal(Kind::State, b"v2").unwrap().into_owned();
        assert!(Encryption::new(key(1), None)
            .open(Kind::State, &new)
            .is_err());
        assert_eq!(
            &*Encryption::new(key(2), None)
                .open(Kind::State, &new)
                .unwrap(),
            b"v2"
        );
    }

    #[test]
    fn passphrases_derive_a_key_with_a_stored_salt_kept_across_writes() {
        let enc = Encryption::new(Secret::passphrase("correct horse").unwrap(), None);
        let first = enc.seal(Kind::State, b"one").unwrap().into_owned();
        let text = String::from_utf8(first.clone()).unwrap();
        assert!(text.contains("\"alg\":\"argon2id\""), "{text}");
        // Another process with the same passphrase opens it, and keeps the salt.
        let other = Encryption::new(Secret::passphrase("correct horse").unwrap(), None);
        assert_eq!(&*other.open(Kind::State, &first).unwrap(), b"one");
        let second = other.seal(Kind::State, b"two").unwrap().into_owned();
        let salt = |b: &[u8]| {
            let e: Envelope = serde_json::from_slice(b).unwrap();
            e.header.kdf.unwrap().salt
        };
        assert_eq!(salt(&first), salt(&second));
        let wrong = Encryption::new(Secret::passphrase("wrong horse").unwrap(), None);
        assert!(matches!(
            wrong.open(Kind::State, &first),
            Err(EncryptionError::WrongKey { .. })
        ));
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        let good = STANDARD.encode([7u8; 32]);
        assert!(Secret::key_base64(&good).is_ok());
        assert!(Secret::key_base64(good.trim_end_matches('=')).is_ok());
        assert!(Secret::key_base64(&Secret::generate_key_base64()).is_ok());
        let short = Secret::key_base64(&STANDARD.encode([7u8; 16])).unwrap_err();
        assert!(short.to_string().contains("16 bytes"), "{short}");
        assert!(Secret::key_base64("not base64!").is_err());
        assert!(Secret::passphrase("").is_err());
    }
}
