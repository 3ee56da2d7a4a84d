//! The store owner's PIN. Refunds, the access token, the API address and the register's set-up
//! are the owner's: the commands behind them ask for owner mode, which the right PIN opens for
//! a few minutes. The PIN is kept as a salted Argon2id hash in `owner.json` beside the settings
//! (never the PIN itself, never shown to the page); wrong PINs lock it for a while.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How long owner mode lasts after the right PIN.
pub const UNLOCKED_FOR: Duration = Duration::from_secs(10 * 60);
/// Wrong PINs allowed before a lockout.
pub const FREE_MISSES: u32 = 5;
/// The first lockout; each further miss doubles it, up to an hour.
const FIRST_LOCKOUT_SECS: i64 = 60;
const LONGEST_LOCKOUT_SECS: i64 = 3600;

#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum OwnerError {
    #[error("no owner PIN is set yet: choose one")]
    Unset,
    #[error("this is for the store owner: enter the owner PIN")]
    Needed,
    #[error("wrong PIN ({left} tries left before a pause)")]
    Wrong { left: u32 },
    #[error("too many wrong PINs: try again after {until}")]
    Locked { until: String },
    #[error("a PIN is 4 to 8 digits")]
    BadPin,
    #[error("the owner's file cannot be written: {0}")]
    Io(String),
}

/// What is kept on disk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Stored {
    /// Argon2id, in the PHC string form (salt and parameters included).
    pin_hash: Option<String>,
    misses: u32,
    locked_until: Option<DateTime<Utc>>,
}

/// What the page may know.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerStatus {
    pub pin_set: bool,
    pub unlocked: bool,
    pub locked_until: Option<String>,
}

pub struct Owner {
    path: PathBuf,
    stored: Mutex<Stored>,
    unlocked_until: Mutex<Option<Instant>>,
}

impl Owner {
    /// The owner's file in `config_dir`. One that cannot be read is taken as no PIN set, and
    /// said in the log (the PIN is then chosen again, by the owner at their first action).
    pub fn open(config_dir: &Path) -> Owner {
        let path = config_dir.join("owner.json");
        let stored = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::error!(error = %e, path = %path.display(), "the owner's file cannot be read");
                Stored::default()
            }),
            Err(_) => Stored::default(),
        };
        Owner {
            path,
            stored: Mutex::new(stored),
            unlocked_until: Mutex::new(None),
        }
    }

    pub fn status(&self, now: DateTime<Utc>) -> OwnerStatus {
        let stored = self.stored();
        OwnerStatus {
            pin_set: stored.pin_hash.is_some(),
            unlocked: self.unlocked(),
            locked_until: stored.locked_until.filter(|u| *u > now).map(|u| u.to_rfc3339()),
        }
    }

    /// What an owner's command asks first.
    pub fn require(&self) -> Result<(), OwnerError> {
        if self.stored().pin_hash.is_none() {
            return Err(OwnerError::Unset);
        }
        if !self.unlocked() {
            return Err(OwnerError::Needed);
        }
        Ok(())
    }

    /// The store owner's, where the store chose an owner PIN; anyone's where it did not (a
    /// counter of one person need not have one for the till).
    pub fn require_if_set(&self) -> Result<(), OwnerError> {
        match self.stored().pin_hash {
            None => Ok(()),
            Some(_) => self.require(),
        }
    }

    /// Sets the PIN: the first time, or in owner mode. Opens owner mode. Slow (the hash).
    pub fn set_pin(&self, pin: &str) -> Result<(), OwnerError> {
        check_shape(pin)?;
        if self.stored().pin_hash.is_some() && !self.unlocked() {
            return Err(OwnerError::Needed);
        }
        let hash = hash(pin)?;
        self.save(|s| {
            s.pin_hash = Some(hash);
            s.misses = 0;
            s.locked_until = None;
        })?;
        self.open_for(UNLOCKED_FOR);
        Ok(())
    }

    /// Checks the PIN; the right one opens owner mode, a wrong one counts towards a lockout.
    /// Slow (the hash): call it off the main thread.
    pub fn unlock(&self, pin: &str, now: DateTime<Utc>) -> Result<(), OwnerError> {
        let stored = self.stored();
        let Some(hash) = stored.pin_hash.clone() else {
            return Err(OwnerError::Unset);
        };
        if let Some(until) = stored.locked_until.filter(|u| *u > now) {
            return Err(OwnerError::Locked {
                until: until.to_rfc3339(),
            });
        }
        if check_shape(pin).is_ok() && verify(pin, &hash) {
            self.save(|s| {
                s.misses = 0;
                s.locked_until = None;
            })?;
            self.open_for(UNLOCKED_FOR);
            tracing::info!("owner mode opened");
            return Ok(());
        }
        let misses = stored.misses.saturating_add(1);
        let locked_until = (misses >= FREE_MISSES).then(|| {
            let doublings = (misses - FREE_MISSES).min(10);
            let secs = (FIRST_LOCKOUT_SECS << doublings).min(LONGEST_LOCKOUT_SECS);
            now + chrono::Duration::seconds(secs)
        });
        self.save(|s| {
            s.misses = misses;
            s.locked_until = locked_until;
        })?;
        tracing::warn!(misses, locked = locked_until.is_some(), "a wrong owner PIN");
        Err(match locked_until {
            Some(until) => OwnerError::Locked {
                until: until.to_rfc3339(),
            },
            None => OwnerError::Wrong {
                left: FREE_MISSES - misses,
            },
        })
    }

    /// Closes owner mode (the owner steps away from the counter).
    pub fn lock(&self) {
        *self.unlocked_until.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn unlocked(&self) -> bool {
        self.unlocked_until
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|until| Instant::now() < until)
    }

    fn open_for(&self, span: Duration) {
        *self.unlocked_until.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now() + span);
    }

    fn stored(&self) -> Stored {
        self.stored.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Changes what is kept, on disk first (written beside and renamed: whole or not at all).
    fn save(&self, change: impl FnOnce(&mut Stored)) -> Result<(), OwnerError> {
        let mut stored = self.stored.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = stored.clone();
        change(&mut next);
        let bytes = serde_json::to_vec_pretty(&next).map_err(|e| OwnerError::Io(e.to_string()))?;
        let partial = self.path.with_extension("json.partial");
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| OwnerError::Io(e.to_string()))?;
        }
        std::fs::write(&partial, bytes)
            .and_then(|_| std::fs::rename(&partial, &self.path))
            .map_err(|e| OwnerError::Io(format!("{}: {e}", self.path.display())))?;
        *stored = next;
        Ok(())
    }
}

fn check_shape(pin: &str) -> Result<(), OwnerError> {
    if (4..=8).contains(&pin.len()) && pin.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(OwnerError::BadPin)
    }
}

fn hash(pin: &str) -> Result<String, OwnerError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| OwnerError::Io(format!("no randomness for the salt: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| OwnerError::Io(e.to_string()))?;
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| OwnerError::Io(e.to_string()))
}

fn verify(pin: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(pin.as_bytes(), &h).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pin_is_kept_as_a_salted_slow_hash_and_misses_lock_it() {
        let dir = tempfile::tempdir().unwrap();
        let owner = Owner::open(dir.path());
        assert_eq!(owner.require(), Err(OwnerError::Unset));
        for bad in ["", "123", "123456789", "12a4", "１２３４", " 1234"] {
            assert_eq!(owner.set_pin(bad), Err(OwnerError::BadPin), "{bad:?}");
        }
        owner.set_pin("2468").unwrap();
        assert_eq!(owner.require(), Ok(()));
        let file = std::fs::read_to_string(dir.path().join("owner.json")).unwrap();
        assert!(file.contains("$argon2id$") && !file.contains("2468"), "{file}");
        // The same PIN twice hashes differently (its own salt).
        let first = Owner::open(dir.path()).stored().pin_hash.unwrap();
        owner.set_pin("2468").unwrap();
        assert_ne!(Owner::open(dir.path()).stored().pin_hash.unwrap(), first);
        // Another start: locked until the PIN; misses count, then lock, across restarts too.
        let owner = Owner::open(dir.path());
        assert_eq!(owner.require(), Err(OwnerError::Needed));
        assert_eq!(
            owner.set_pin("1111"),
            Err(OwnerError::Needed),
            "only the owner changes it"
        );
        let now = Utc::now();
        for left in (1..FREE_MISSES).rev() {
            assert_eq!(owner.unlock("0000", now), Err(OwnerError::Wrong { left }));
        }
        assert!(matches!(owner.unlock("0000", now), Err(OwnerError::Locked { .. })));
        let owner = Owner::open(dir.path());
        assert!(
            matches!(owner.unlock("2468", now), Err(OwnerError::Locked { .. })),
            "even the right PIN waits out the lockout"
        );
        let later = now + chrono::Duration::seconds(FIRST_LOCKOUT_SECS + 1);
        owner.unlock("2468", later).unwrap();
        assert_eq!(owner.require(), Ok(()));
        owner.lock();
        assert_eq!(owner.require(), Err(OwnerError::Needed));
    }
}
