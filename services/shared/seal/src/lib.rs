//! Envelope encryption for what rxbridge keeps of patients' documents (faxes, HL7, FHIR, X12).
//! Each document gets its own random AES-256-GCM data key; the data key is stored wrapped
//! (encrypted) by a master key from configuration, named by its key id. Rotating the master key
//! means adding a new key, making it current, and re-wrapping the stored data keys
//! ([`Keyring::rewrap`]): the documents themselves are never re-encrypted, and old key ids keep
//! opening until every document was re-wrapped.
//!
//! A sealed blob is `RXS1`, the key id's length (1 byte) and the key id, the wrapped data key
//! (12-byte nonce, 32-byte key, 16-byte tag), then the document's nonce and ciphertext with its
//! tag. The caller's associated data (e.g. the clinic and document id) is bound to both layers,
//! so a blob copied to another record does not open. Pure: no I/O.

use std::collections::BTreeMap;

use base64::Engine;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

const MAGIC: &[u8; 4] = b"RXS1";
const KEY_LEN: usize = 32;
const TAG_LEN: usize = 16;
const WRAPPED_LEN: usize = NONCE_LEN + KEY_LEN + TAG_LEN;

/// Why a document cannot be sealed or opened. No variant carries document content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the keyring configuration is invalid: {0}")]
    Config(String),
    #[error("the document was sealed with key {0}, which the keyring does not hold")]
    UnknownKey(String),
    #[error("the sealed document is damaged or belongs to another record")]
    Corrupt,
    #[error("no random numbers available")]
    Random,
}

/// What a re-wrap pass over a service's stored documents did (`rxbridge rewrap-documents`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rewrapped {
    pub examined: u64,
    pub rewrapped: u64,
}

/// How a service keeps what it must protect at rest: sealed with the keyring, or (local
/// development only, configured explicitly) as it is.
#[derive(Debug, Clone)]
pub enum AtRest {
    Sealed(std::sync::Arc<Keyring>),
    Plaintext,
}

impl AtRest {
    /// Seals `plain` bound to `aad` (stored as is when running in plaintext).
    pub fn seal(&self, plain: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        match self {
            Self::Sealed(keyring) => keyring.seal(plain, aad),
            Self::Plaintext => Ok(plain.to_vec()),
        }
    }

    /// Opens what [`AtRest::seal`] stored; a sealed blob without a keyring is an error, never
    /// ciphertext handed out as if it were the document.
    pub fn open(&self, blob: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        match self {
            Self::Sealed(keyring) => keyring.open(blob, aad),
            Self::Plaintext => match Keyring::key_id(blob) {
                Some(id) => Err(SealError::UnknownKey(id.to_owned())),
                None => Ok(blob.to_vec()),
            },
        }
    }

    /// `sealed` or `plaintext`, for `rxbridge config show` and start-up logs.
    pub fn describe(&self) -> &'static str {
        match self {
            Self::Sealed(_) => "sealed",
            Self::Plaintext => "plaintext",
        }
    }
}

/// The master keys: the current one seals, every one opens.
#[derive(Clone)]
pub struct Keyring {
    current: String,
    keys: BTreeMap<String, [u8; KEY_LEN]>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Key ids only, never key material.
        f.debug_struct("Keyring").field("current", &self.current).field("ids", &self.keys.keys()).finish()
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyringFile {
    current: String,
    keys: BTreeMap<String, String>,
}

impl Keyring {
    /// From JSON: `{"current": "k2", "keys": {"k1": "<base64 of 32 bytes>", "k2": "..."}}`.
    pub fn from_json(json: &str) -> Result<Self, SealError> {
        let file: KeyringFile = serde_json::from_str(json).map_err(|e| SealError::Config(e.to_string()))?;
        let mut keys = BTreeMap::new();
        for (id, b64) in file.keys {
            if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
                return Err(SealError::Config(format!("key id {id:?}: 1 to 64 letters, digits, - _ .")));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|_| SealError::Config(format!("key {id}: not base64")))?;
            let key: [u8; KEY_LEN] =
                bytes.try_into().map_err(|_| SealError::Config(format!("key {id}: must be 32 bytes")))?;
            keys.insert(id, key);
        }
        if !keys.contains_key(&file.current) {
            return Err(SealError::Config(format!("the current key {} is not in keys", file.current)));
        }
        Ok(Self { current: file.current, keys })
    }

    /// The id of the key new documents are sealed with.
    pub fn current(&self) -> &str {
        &self.current
    }

    /// The key id a sealed blob names, or `None` for data that was never sealed.
    pub fn key_id(blob: &[u8]) -> Option<&str> {
        let rest = blob.strip_prefix(MAGIC.as_slice())?;
        let (&len, rest) = rest.split_first()?;
        std::str::from_utf8(rest.get(..usize::from(len))?).ok()
    }

    /// Seals `plain` under a fresh data key wrapped by the current master key.
    pub fn seal(&self, plain: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let rng = SystemRandom::new();
        let mut data_key = [0u8; KEY_LEN];
        rng.fill(&mut data_key).map_err(|_| SealError::Random)?;
        let wrapped = self.wrap(&self.current, &data_key, aad, &rng)?;
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill(&mut nonce).map_err(|_| SealError::Random)?;
        let mut body = plain.to_vec();
        aead(&data_key)?
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut body)
            .map_err(|_| SealError::Corrupt)?;
        let id = self.current.as_bytes();
        let mut out = Vec::with_capacity(MAGIC.len() + 1 + id.len() + WRAPPED_LEN + NONCE_LEN + body.len());
        out.extend_from_slice(MAGIC);
        out.push(u8::try_from(id.len()).map_err(|_| SealError::Config("key id too long".into()))?);
        out.extend_from_slice(id);
        out.extend_from_slice(&wrapped);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Opens a sealed blob. Data stored before encryption was turned on (no header) comes back
    /// as it is, so a deployment can switch on encryption and re-seal its rows afterwards.
    pub fn open(&self, blob: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let Some(parts) = Parts::split(blob)? else { return Ok(blob.to_vec()) };
        let data_key = self.unwrap(parts.key_id, parts.wrapped, aad)?;
        let mut body = parts.body.to_vec();
        let nonce = Nonce::try_assume_unique_for_key(parts.nonce).map_err(|_| SealError::Corrupt)?;
        let plain = aead(&data_key)?.open_in_place(nonce, Aad::from(aad), &mut body).map_err(|_| SealError::Corrupt)?;
        Ok(plain.to_vec())
    }

    /// Re-wraps a blob's data key under the current master key (the ciphertext stays);
    /// seals data that was never sealed. `None` when it is already under the current key.
    pub fn rewrap(&self, blob: &[u8], aad: &[u8]) -> Result<Option<Vec<u8>>, SealError> {
        let Some(parts) = Parts::split(blob)? else { return self.seal(blob, aad).map(Some) };
        if parts.key_id == self.current {
            return Ok(None);
        }
        let data_key = self.unwrap(parts.key_id, parts.wrapped, aad)?;
        let wrapped = self.wrap(&self.current, &data_key, aad, &SystemRandom::new())?;
        let id = self.current.as_bytes();
        let mut out = Vec::with_capacity(blob.len() + id.len());
        out.extend_from_slice(MAGIC);
        out.push(u8::try_from(id.len()).map_err(|_| SealError::Config("key id too long".into()))?);
        out.extend_from_slice(id);
        out.extend_from_slice(&wrapped);
        out.extend_from_slice(parts.nonce);
        out.extend_from_slice(parts.body);
        Ok(Some(out))
    }

    fn wrap(
        &self,
        key_id: &str,
        data_key: &[u8; KEY_LEN],
        aad: &[u8],
        rng: &SystemRandom,
    ) -> Result<[u8; WRAPPED_LEN], SealError> {
        let master = self.keys.get(key_id).ok_or_else(|| SealError::UnknownKey(key_id.to_owned()))?;
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill(&mut nonce).map_err(|_| SealError::Random)?;
        let mut sealed = data_key.to_vec();
        aead(master)?
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut sealed)
            .map_err(|_| SealError::Corrupt)?;
        let mut out = [0u8; WRAPPED_LEN];
        out[..NONCE_LEN].copy_from_slice(&nonce);
        out[NONCE_LEN..].copy_from_slice(&sealed);
        Ok(out)
    }

    fn unwrap(&self, key_id: &str, wrapped: &[u8], aad: &[u8]) -> Result<[u8; KEY_LEN], SealError> {
        let master = self.keys.get(key_id).ok_or_else(|| SealError::UnknownKey(key_id.to_owned()))?;
        let (nonce, sealed) = wrapped.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Corrupt)?;
        let mut sealed = sealed.to_vec();
        let key = aead(master)?.open_in_place(nonce, Aad::from(aad), &mut sealed).map_err(|_| SealError::Corrupt)?;
        key.try_into().map_err(|_| SealError::Corrupt)
    }
}

/// The SHA-256 of a document's bytes, in hex: how a repeated submission is recognised
/// without reading stored documents.
pub fn fingerprint(bytes: &[u8]) -> String {
    use std::fmt::Write;
    ring::digest::digest(&ring::digest::SHA256, bytes).as_ref().iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn aead(key: &[u8; KEY_LEN]) -> Result<LessSafeKey, SealError> {
    UnboundKey::new(&AES_256_GCM, key).map(LessSafeKey::new).map_err(|_| SealError::Corrupt)
}

/// A sealed blob's parts, borrowed.
struct Parts<'a> {
    key_id: &'a str,
    wrapped: &'a [u8],
    nonce: &'a [u8],
    body: &'a [u8],
}

impl<'a> Parts<'a> {
    /// `None` for data without the header (never sealed).
    fn split(blob: &'a [u8]) -> Result<Option<Self>, SealError> {
        let Some(rest) = blob.strip_prefix(MAGIC.as_slice()) else { return Ok(None) };
        let (&len, rest) = rest.split_first().ok_or(SealError::Corrupt)?;
        let len = usize::from(len);
        if rest.len() < len + WRAPPED_LEN + NONCE_LEN + TAG_LEN {
            return Err(SealError::Corrupt);
        }
        let (id, rest) = rest.split_at(len);
        let key_id = std::str::from_utf8(id).map_err(|_| SealError::Corrupt)?;
        let (wrapped, rest) = rest.split_at(WRAPPED_LEN);
        let (nonce, body) = rest.split_at(NONCE_LEN);
        Ok(Some(Self { key_id, wrapped, nonce, body }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn b64(byte: u8) -> String {
        base64::engine::general_purpose::STANDARD.encode([byte; 32])
    }

    fn ring(current: &str, ids: &[(&str, u8)]) -> Keyring {
        let keys: Vec<String> = ids.iter().map(|(id, b)| format!("\"{id}\": \"{}\"", b64(*b))).collect();
        Keyring::from_json(&format!(r#"{{"current": "{current}", "keys": {{{}}}}}"#, keys.join(","))).unwrap()
    }

    #[test]
    fn a_document_opens_with_the_key_that_sealed_it_and_its_record_only() {
        let k = ring("k1", &[("k1", 1)]);
        let doc = b"MSH|^~\\&|SYNTHETIC";
        let sealed = k.seal(doc, b"clinic-a/doc-1").unwrap();
        assert!(!sealed.windows(doc.len()).any(|w| w == doc), "no plaintext in the blob");
        assert_eq!(Keyring::key_id(&sealed), Some("k1"));
        assert_eq!(k.open(&sealed, b"clinic-a/doc-1").unwrap(), doc);
        assert_eq!(k.open(&sealed, b"clinic-b/doc-1"), Err(SealError::Corrupt), "bound to its record");
        let other = ring("k1", &[("k1", 2)]);
        assert_eq!(other.open(&sealed, b"clinic-a/doc-1"), Err(SealError::Corrupt), "another master key");
        let mut flipped = sealed.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(k.open(&flipped, b"clinic-a/doc-1"), Err(SealError::Corrupt), "tampering is detected");
        assert_ne!(k.seal(doc, b"x").unwrap(), k.seal(doc, b"x").unwrap(), "fresh keys and nonces");
    }

    #[test]
    fn plaintext_mode_never_passes_ciphertext_off_as_a_document() {
        let sealed = AtRest::Sealed(std::sync::Arc::new(ring("k1", &[("k1", 1)])));
        let blob = sealed.seal(b"ISA*00*", b"clinic-a/x12/1").unwrap();
        assert_eq!(sealed.open(&blob, b"clinic-a/x12/1").unwrap(), b"ISA*00*");
        assert_eq!(AtRest::Plaintext.open(&blob, b"clinic-a/x12/1"), Err(SealError::UnknownKey("k1".into())));
        assert_eq!(AtRest::Plaintext.seal(b"ISA*00*", b"").unwrap(), b"ISA*00*");
        assert_eq!(sealed.open(b"ISA*00*", b"clinic-a/x12/1").unwrap(), b"ISA*00*", "stored before sealing");
    }

    #[test]
    fn rotation_rewraps_keys_and_old_documents_stay_readable() {
        let old = ring("k1", &[("k1", 1)]);
        let sealed = old.seal(b"fax bytes", b"d").unwrap();
        let rotated = ring("k2", &[("k1", 1), ("k2", 7)]);
        assert_eq!(rotated.open(&sealed, b"d").unwrap(), b"fax bytes", "old key still opens");
        let rewrapped = rotated.rewrap(&sealed, b"d").unwrap().expect("moved to k2");
        assert_eq!(Keyring::key_id(&rewrapped), Some("k2"));
        assert_eq!(rotated.rewrap(&rewrapped, b"d").unwrap(), None, "already current");
        let retired = ring("k2", &[("k2", 7)]);
        assert_eq!(retired.open(&rewrapped, b"d").unwrap(), b"fax bytes");
        assert_eq!(retired.open(&sealed, b"d"), Err(SealError::UnknownKey("k1".into())));
    }

    #[test]
    fn data_stored_before_encryption_opens_as_is_and_gets_sealed_on_rewrap() {
        let k = ring("k1", &[("k1", 1)]);
        assert_eq!(k.open(b"plain", b"d").unwrap(), b"plain");
        let sealed = k.rewrap(b"plain", b"d").unwrap().unwrap();
        assert_eq!(k.open(&sealed, b"d").unwrap(), b"plain");
        assert_eq!(k.open(b"RXS1\x02k1short", b"d"), Err(SealError::Corrupt));
    }

    #[test]
    fn fingerprints_are_sha256_hex() {
        assert_eq!(fingerprint(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn bad_configurations_are_refused_without_echoing_keys() {
        let short = base64::engine::general_purpose::STANDARD.encode([1u8; 16]);
        let e = Keyring::from_json(&format!(r#"{{"current":"k","keys":{{"k":"{short}"}}}}"#)).unwrap_err();
        assert!(!e.to_string().contains(&short));
        assert!(Keyring::from_json(r#"{"current":"k2","keys":{}}"#).is_err());
        assert!(Keyring::from_json(r#"{"current":"a b","keys":{"a b":""}}"#).is_err());
        assert!(!format!("{:?}", ring("k1", &[("k1", 9)])).contains(&b64(9)));
    }
}
