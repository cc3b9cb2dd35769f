//! Account keys on disk: BIP-39 mnemonics, secp256k1 keys at the Cosmos HD path m/44'/118'/0'/0/0.
//! Backend `test` stores keys in the clear (for localnets); `file` encrypts each with a passphrase
//! (PBKDF2-HMAC-SHA256, 200k rounds, then ChaCha20-Poly1305).

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine;
use bip39::{Language, Mnemonic};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use cosmrs::bip32::DerivationPath;
use cosmrs::crypto::secp256k1::SigningKey;
use estuary_sdk::Address;
use rand::RngCore;
use serde::{Deserialize, Serialize};

pub const HD_PATH: &str = "m/44'/118'/0'/0/0";
const KDF_ROUNDS: u32 = 200_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Test,
    File,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Test => "test",
            Backend::File => "file",
        }
    }
}

/// A key as stored. The secret is a 32-byte secp256k1 scalar, in the clear or sealed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyRecord {
    pub name: String,
    pub address: String,
    /// Base64 of the compressed public key.
    pub pub_key: String,
    pub secret: Secret,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Secret {
    Plain {
        hex: String,
    },
    /// No secret: a threshold multisig of other keys (`pub_key` is its `LegacyAminoPubKey`),
    /// kept to build and combine its signatures, as the SDK's keyring keeps one.
    Multisig,
    Sealed {
        salt: String,
        nonce: String,
        ciphertext: String,
    },
}

/// The public facts of a key, for `keys list/show`.
#[derive(Clone, Debug, Serialize)]
pub struct KeyInfo {
    pub name: String,
    pub address: String,
    pub pub_key: String,
}

fn parse_mnemonic(phrase: &str) -> Result<Mnemonic> {
    Mnemonic::parse_in(Language::English, phrase.trim())
        .map_err(|e| anyhow!("invalid mnemonic: {e}"))
}

/// The key a mnemonic gives at the Cosmos HD path, and its secret scalar.
fn key_of_mnemonic(mnemonic: &Mnemonic) -> Result<(SigningKey, [u8; 32])> {
    key_of_mnemonic_at(mnemonic, HD_PATH)
}

fn key_of_mnemonic_at(mnemonic: &Mnemonic, hd_path: &str) -> Result<(SigningKey, [u8; 32])> {
    let seed = mnemonic.to_seed("");
    let hd: DerivationPath = hd_path
        .parse()
        .map_err(|e| anyhow!("HD path {hd_path:?}: {e}"))?;
    let secret = key_secret_bytes(&seed, &hd)?;
    let key = SigningKey::from_slice(&secret).map_err(|e| anyhow!("deriving key: {e}"))?;
    Ok((key, secret))
}

/// The signing key of a BIP-39 mnemonic at m/44'/118'/0'/0/0 (what `keys add --recover` stores),
/// for programs that keep a mnemonic instead of a keyring.
pub fn signing_key_of_mnemonic(phrase: &str) -> Result<SigningKey> {
    Ok(key_of_mnemonic(&parse_mnemonic(phrase)?)?.0)
}

pub struct Keyring {
    dir: PathBuf,
    backend: Backend,
    passphrase: Option<String>,
}

impl Keyring {
    pub fn new(dir: PathBuf, backend: Backend, passphrase: Option<String>) -> Keyring {
        Keyring {
            dir,
            backend,
            passphrase,
        }
    }

    fn path(&self, name: &str) -> Result<PathBuf> {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            bail!("key name {name:?} may hold only letters, digits, '-', '_' and '.'");
        }
        Ok(self.dir.join(format!("{name}.json")))
    }

    fn passphrase(&self) -> Result<&str> {
        self.passphrase
            .as_deref()
            .ok_or_else(|| anyhow!("the file keyring needs a passphrase (--keyring-passphrase or ESTUARY_KEYRING_PASSPHRASE)"))
    }

    /// Creates a key from `mnemonic`, or from a new 24-word one. Returns the key and the mnemonic.
    pub fn add(&self, name: &str, mnemonic: Option<&str>) -> Result<(KeyInfo, String)> {
        self.add_at(name, mnemonic, HD_PATH)
    }

    /// Like [`Keyring::add`], at the BIP-32 path `hd_path` (e.g. `m/44'/118'/0'/0/3`).
    pub fn add_at(
        &self,
        name: &str,
        mnemonic: Option<&str>,
        hd_path: &str,
    ) -> Result<(KeyInfo, String)> {
        let path = self.path(name)?;
        if path.exists() {
            bail!("a key named {name:?} already exists");
        }
        let mnemonic = match mnemonic {
            Some(phrase) => parse_mnemonic(phrase)?,
            None => Mnemonic::generate_in(Language::English, 24)
                .map_err(|e| anyhow!("making a mnemonic: {e}"))?,
        };
        let (key, secret) = key_of_mnemonic_at(&mnemonic, hd_path)?;
        let info = self.store(name, &key, &secret)?;
        Ok((info, mnemonic.to_string()))
    }

    fn store(&self, name: &str, key: &SigningKey, secret: &[u8; 32]) -> Result<KeyInfo> {
        let info = key_info(name, key)?;
        let sealed = match self.backend {
            Backend::Test => Secret::Plain {
                hex: hex::encode(secret),
            },
            Backend::File => seal(secret, self.passphrase()?)?,
        };
        let record = KeyRecord {
            name: name.into(),
            address: info.address.clone(),
            pub_key: info.pub_key.clone(),
            secret: sealed,
        };
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("restricting {}", self.dir.display()))?;
        }
        let path = self.path(name)?;
        crate::files::write_private(&path, serde_json::to_string_pretty(&record)?.as_bytes())?;
        Ok(info)
    }

    fn record(&self, name: &str) -> Result<KeyRecord> {
        let path = self.path(name)?;
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "no key named {name:?} in the {} keyring",
                self.backend.name()
            )
        })?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    pub fn show(&self, name: &str) -> Result<KeyInfo> {
        let r = self.record(name)?;
        Ok(KeyInfo {
            name: r.name,
            address: r.address,
            pub_key: r.pub_key,
        })
    }

    pub fn list(&self) -> Result<Vec<KeyInfo>> {
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Ok(out);
        };
        for entry in entries {
            let path = entry?.path();
            if let Some(name) = path
                .file_stem()
                .and_then(|s| s.to_str())
                .filter(|_| path.extension().is_some_and(|e| e == "json"))
            {
                out.push(self.show(name)?);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    pub fn delete(&self, name: &str) -> Result<()> {
        let path = self.path(name)?;
        std::fs::remove_file(&path).with_context(|| format!("no key named {name:?}"))
    }

    fn secret(&self, name: &str) -> Result<[u8; 32]> {
        let secret = match self.record(name)?.secret {
            Secret::Plain { hex } => hex::decode(hex).context("corrupt key file")?,
            Secret::Sealed {
                salt,
                nonce,
                ciphertext,
            } => unseal(&salt, &nonce, &ciphertext, self.passphrase()?)?,
            Secret::Multisig => bail!(
                "{name} is a multisig: it signs through its members (tx sign --multisig, then tx multisign)"
            ),
        };
        secret
            .as_slice()
            .try_into()
            .map_err(|_| anyhow!("corrupt key {name}: secret is not 32 bytes"))
    }

    /// Records the multisig `threshold` of `keys` (compressed secp256k1 keys) as `name`. Sorted
    /// by address unless `nosort`, as the SDK's `keys add --multisig` does (so the same keys give
    /// the same address whichever order they are named in).
    pub fn add_multisig(
        &self,
        name: &str,
        threshold: u32,
        mut keys: Vec<Vec<u8>>,
        nosort: bool,
    ) -> Result<KeyInfo> {
        let path = self.path(name)?;
        if path.exists() {
            bail!("a key named {name:?} exists already");
        }
        if !nosort {
            let mut keyed = keys
                .into_iter()
                .map(|k| Ok((estuary_sdk::crypto::secp256k1_address(&k)?, k)))
                .collect::<Result<Vec<_>, estuary_sdk::TxError>>()?;
            keyed.sort_by_key(|(address, _)| *address);
            keys = keyed.into_iter().map(|(_, k)| k).collect();
        }
        let multisig = estuary_sdk::multisig::LegacyAminoPubKey::new(threshold, keys)?;
        let record = KeyRecord {
            name: name.into(),
            address: multisig.address().to_bech32(),
            pub_key: base64::engine::general_purpose::STANDARD.encode(multisig.to_proto()),
            secret: Secret::Multisig,
        };
        std::fs::create_dir_all(&self.dir)?;
        crate::files::write_private(&path, &serde_json::to_vec_pretty(&record)?)?;
        Ok(KeyInfo {
            name: record.name,
            address: record.address,
            pub_key: record.pub_key,
        })
    }

    /// The multisig `name` records, or `None` if it is a signing key.
    pub fn multisig(&self, name: &str) -> Result<Option<estuary_sdk::multisig::LegacyAminoPubKey>> {
        let r = self.record(name)?;
        if !matches!(r.secret, Secret::Multisig) {
            return Ok(None);
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&r.pub_key)
            .with_context(|| format!("corrupt multisig {name}"))?;
        Ok(Some(estuary_sdk::multisig::LegacyAminoPubKey::from_proto(
            &bytes,
        )?))
    }

    /// The compressed secp256k1 public key of the signing key `name`.
    pub fn public_key(&self, name: &str) -> Result<Vec<u8>> {
        let r = self.record(name)?;
        if matches!(r.secret, Secret::Multisig) {
            bail!("{name} is a multisig: it has no single public key");
        }
        base64::engine::general_purpose::STANDARD
            .decode(&r.pub_key)
            .with_context(|| format!("corrupt key {name}"))
    }

    pub fn signing_key(&self, name: &str) -> Result<SigningKey> {
        SigningKey::from_slice(&self.secret(name)?).map_err(|e| anyhow!("corrupt key {name}: {e}"))
    }

    /// Stores a raw secp256k1 secret key given in hex (the SDK's `keys import-hex`).
    pub fn import_hex(&self, name: &str, hex_key: &str) -> Result<KeyInfo> {
        let secret =
            hex::decode(hex_key.trim().trim_start_matches("0x")).context("the key must be hex")?;
        let arr: [u8; 32] = secret
            .as_slice()
            .try_into()
            .map_err(|_| anyhow!("a secp256k1 key is 32 bytes, this is {}", secret.len()))?;
        let key = SigningKey::from_slice(&arr).map_err(|e| anyhow!("not a secp256k1 key: {e}"))?;
        if self.path(name)?.exists() {
            bail!("a key named {name:?} already exists");
        }
        self.store(name, &key, &arr)
    }

    /// The key's raw secret in hex (the SDK's `keys export --unarmored-hex --unsafe`).
    pub fn export_hex(&self, name: &str) -> Result<String> {
        Ok(hex::encode(self.secret(name)?))
    }

    /// The key's secret, sealed with `export_passphrase`, as a JSON document for `keys import`.
    pub fn export(&self, name: &str, export_passphrase: &str) -> Result<String> {
        let secret = self.secret(name)?;
        let key =
            SigningKey::from_slice(&secret).map_err(|e| anyhow!("corrupt key {name}: {e}"))?;
        let info = key_info(name, &key)?;
        let record = KeyRecord {
            name: name.into(),
            address: info.address,
            pub_key: info.pub_key,
            secret: seal(&secret, export_passphrase)?,
        };
        Ok(serde_json::to_string_pretty(&record)?)
    }

    pub fn import(&self, name: &str, exported: &str, export_passphrase: &str) -> Result<KeyInfo> {
        let record: KeyRecord = serde_json::from_str(exported).context("not an exported key")?;
        let secret = match record.secret {
            Secret::Plain { hex } => hex::decode(hex).context("corrupt exported key")?,
            Secret::Sealed {
                salt,
                nonce,
                ciphertext,
            } => unseal(&salt, &nonce, &ciphertext, export_passphrase)?,
            Secret::Multisig => bail!("a multisig has no secret to import: keys add --multisig"),
        };
        let key =
            SigningKey::from_slice(&secret).map_err(|e| anyhow!("corrupt exported key: {e}"))?;
        let arr: [u8; 32] = secret
            .as_slice()
            .try_into()
            .map_err(|_| anyhow!("exported key is not 32 bytes"))?;
        if self.path(name)?.exists() {
            bail!("a key named {name:?} already exists");
        }
        self.store(name, &key, &arr)
    }
}

fn key_info(name: &str, key: &SigningKey) -> Result<KeyInfo> {
    let pk = key.public_key();
    let address = pk
        .account_id(estuary_sdk::ACCOUNT_PREFIX)
        .map_err(|e| anyhow!("{e}"))?;
    let raw = pk.to_bytes();
    Ok(KeyInfo {
        name: name.into(),
        address: address.to_string(),
        pub_key: base64::engine::general_purpose::STANDARD.encode(raw),
    })
}

/// The address of a key, parsed.
pub fn address_of(key: &SigningKey) -> Result<Address> {
    let id = key
        .public_key()
        .account_id(estuary_sdk::ACCOUNT_PREFIX)
        .map_err(|e| anyhow!("{e}"))?;
    Address::from_slice(&id.to_bytes()).map_err(|e| anyhow!("{e}"))
}

fn key_secret_bytes(seed: &[u8; 64], path: &DerivationPath) -> Result<[u8; 32]> {
    let xprv = cosmrs::bip32::XPrv::derive_from_path(seed, path)
        .map_err(|e| anyhow!("deriving key: {e}"))?;
    Ok(xprv.private_key().to_bytes().into())
}

fn derive_cipher(passphrase: &str, salt: &[u8]) -> ChaCha20Poly1305 {
    let mut key = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(passphrase.as_bytes(), salt, KDF_ROUNDS, &mut key);
    ChaCha20Poly1305::new(&key.into())
}

fn seal(secret: &[u8; 32], passphrase: &str) -> Result<Secret> {
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ciphertext = derive_cipher(passphrase, &salt)
        .encrypt(&Nonce::from(nonce), secret.as_slice())
        .map_err(|_| anyhow!("encryption failed"))?;
    Ok(Secret::Sealed {
        salt: hex::encode(salt),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ciphertext),
    })
}

fn unseal(salt: &str, nonce: &str, ciphertext: &str, passphrase: &str) -> Result<Vec<u8>> {
    let salt = hex::decode(salt).context("corrupt key salt")?;
    let nonce = hex::decode(nonce).context("corrupt key nonce")?;
    let nonce: [u8; 12] = nonce
        .as_slice()
        .try_into()
        .map_err(|_| anyhow!("corrupt key nonce"))?;
    let ciphertext = hex::decode(ciphertext).context("corrupt key ciphertext")?;
    derive_cipher(passphrase, &salt)
        .decrypt(&Nonce::from(nonce), ciphertext.as_slice())
        .map_err(|_| anyhow!("wrong passphrase (or a damaged key file)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MNEMONIC: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    #[test]
    fn known_mnemonic_gives_the_cosmos_address() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::new(dir.path().to_path_buf(), Backend::Test, None);
        let (info, _) = kr.add("k", Some(MNEMONIC)).unwrap();
        // The same mnemonic at m/44'/118'/0'/0/0 is cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4
        // on the Hub; the bytes are the same, only the prefix differs.
        let id: cosmrs::AccountId = info.address.parse().unwrap();
        let hub = cosmrs::AccountId::new("cosmos", &id.to_bytes()).unwrap();
        assert_eq!(
            hub.to_string(),
            "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4"
        );
        assert!(kr.add("k", None).is_err(), "names are unique");
    }

    #[test]
    fn file_backend_seals_and_export_import_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::new(
            dir.path().join("file"),
            Backend::File,
            Some("correct horse".into()),
        );
        let (info, _) = kr.add("k", None).unwrap();
        let text = std::fs::read_to_string(dir.path().join("file/k.json")).unwrap();
        assert!(text.contains("ciphertext") && !text.contains("\"hex\""));
        let wrong = Keyring::new(
            dir.path().join("file"),
            Backend::File,
            Some("battery staple".into()),
        );
        assert!(wrong.signing_key("k").is_err());
        let exported = kr.export("k", "export-pass").unwrap();
        let other = Keyring::new(dir.path().join("test"), Backend::Test, None);
        assert!(other.import("k2", &exported, "nope").is_err());
        let imported = other.import("k2", &exported, "export-pass").unwrap();
        assert_eq!(imported.address, info.address);
        assert_eq!(other.list().unwrap().len(), 1);
        other.delete("k2").unwrap();
        assert!(other.show("k2").is_err());
    }
}
