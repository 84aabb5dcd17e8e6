//! Output folders byzlab owns, and only those.
//!
//! Every command that writes a folder (`sweep`, `merge`, `detect-sweep`,
//! `two-generals --table`, `book-shop --table`, `perf`) claims it through
//! [`Folder::claim`]:
//!
//! * **One writer at a time.** The folder's `.byzlab.lock` is locked (an
//!   advisory lock the system drops when the process ends, however it
//!   ends) for as long as the command writes; a second command is refused
//!   with the holder's pid.
//! * **Only its own files.** `.byzlab-files` lists, under the command that
//!   made the folder, every file byzlab wrote there. A folder is accepted if
//!   it is new, empty, or byzlab's own for the same command; a name is added
//!   to the list before its file is written, so a kill at any moment leaves
//!   no file of ours unlisted. A file byzlab did not list is never written
//!   over or deleted, and a symbolic link is never followed: a listed name
//!   that has become a link, or a subfolder that is a link, is refused.
//!
//! Sweep folders written before the list existed are recognised by a valid
//! `plan.json` (the command passes that check as `legacy`).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The list of what byzlab wrote in a folder.
pub const MANIFEST: &str = ".byzlab-files";
/// The lock file.
pub const LOCK: &str = ".byzlab.lock";

/// Why a folder cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// Reading or writing.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
    /// `--out` names a file, a device, or something else than a folder.
    #[error("{0} exists and is not a folder: choose a new or empty folder")]
    NotAFolder(String),
    /// A single file to write (a diagram) names something else.
    #[error("{0} exists and is not a file (a folder or a device): give a new file name, such as run.svg")]
    NotAFile(String),
    /// The folder holds files byzlab did not write.
    #[error(
        "{0} is not empty and holds no byzlab results: choose a new or empty folder, so that no file of yours is \
         overwritten"
    )]
    Foreign(String),
    /// The folder holds another command's results.
    #[error("{path} holds the results of `byzlab {theirs}`, not of `byzlab {ours}`: choose another folder")]
    OtherCommand {
        /// The folder.
        path: String,
        /// The command that wrote it.
        theirs: String,
        /// This command.
        ours: String,
    },
    /// Another byzlab process writes the folder now.
    #[error("{path} is being written by another byzlab process (pid {pid}): wait for it, or choose another folder")]
    Locked {
        /// The folder.
        path: String,
        /// The holder, as its lock file says.
        pid: String,
    },
    /// A file byzlab would write is not byzlab's.
    #[error("{0} was not written by byzlab: it is left alone; move it, or choose another folder")]
    NotOurs(String),
    /// A symbolic link where byzlab writes.
    #[error("{0} is a symbolic link: byzlab does not write or delete through links; choose another folder")]
    Link(String),
    /// A name that would leave the folder.
    #[error("{0}: not a plain name inside the folder")]
    BadName(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FolderError + '_ {
    move |source| FolderError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Recognises a folder a command wrote before `.byzlab-files` existed, and
/// lists the files of it that are byzlab's.
pub type Legacy<'a> = dyn Fn(&Path) -> Option<Vec<String>> + 'a;

/// A folder claimed by one command (see the module docs); the lock is held
/// until it is dropped.
#[derive(Debug)]
pub struct Folder {
    root: PathBuf,
    command: String,
    files: BTreeSet<String>,
    _lock: File,
}

impl Folder {
    /// Claims `root` for `command` (`sweep`, `merge`, ...): creates it if it
    /// is missing, locks it, and accepts it if it is empty or byzlab's own
    /// for this command. `legacy` recognises a folder of this command
    /// written before `.byzlab-files` existed, and lists the files it owns.
    pub fn claim(root: &Path, command: &str, legacy: Option<&Legacy<'_>>) -> Result<Folder, FolderError> {
        match std::fs::symlink_metadata(root) {
            Ok(m) if m.is_dir() => {}
            Ok(m) if m.file_type().is_symlink() && root.is_dir() => {}
            Ok(_) => return Err(FolderError::NotAFolder(root.display().to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir_all(root).map_err(io(root))?,
            Err(e) => return Err(io(root)(e)),
        }
        let lock = lock(root)?;
        let manifest = root.join(MANIFEST);
        let files = match std::fs::symlink_metadata(&manifest) {
            Ok(m) if m.file_type().is_symlink() => return Err(FolderError::Link(manifest.display().to_string())),
            Ok(_) => {
                let text = crate::files::read_limited(&manifest).map_err(io(&manifest))?;
                let mut lines = text.lines();
                let theirs = lines
                    .next()
                    .and_then(|l| l.strip_prefix("byzlab "))
                    .unwrap_or("")
                    .to_string();
                if theirs != command {
                    return Err(FolderError::OtherCommand {
                        path: root.display().to_string(),
                        theirs,
                        ours: command.to_string(),
                    });
                }
                lines.filter(|l| !l.is_empty()).map(str::to_string).collect()
            }
            Err(_) => {
                // (A kill during the very first write leaves only the
                // list's temporary file: the folder is still empty.)
                let temp = format!(".{MANIFEST}.tmp-");
                let others: Vec<String> = std::fs::read_dir(root)
                    .map_err(io(root))?
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n != LOCK && !n.starts_with(&temp))
                    .collect();
                if others.is_empty() {
                    BTreeSet::new()
                } else {
                    match legacy.and_then(|f| f(root)) {
                        Some(owned) => {
                            // Written at once: from now on the list says.
                            let files: BTreeSet<String> = owned.into_iter().collect();
                            save(root, command, &files)?;
                            files
                        }
                        None => return Err(FolderError::Foreign(root.display().to_string())),
                    }
                }
            }
        };
        let folder = Folder {
            root: root.to_path_buf(),
            command: command.to_string(),
            files,
            _lock: lock,
        };
        folder.remove_stale_temps();
        Ok(folder)
    }

    /// Removes the temporary files a killed writer left (`.NAME.tmp-PID`
    /// beside the list or a listed file), and only those.
    fn remove_stale_temps(&self) {
        let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
        dirs.insert(self.root.clone());
        for f in &self.files {
            if let Some(parent) = Path::new(f).parent() {
                dirs.insert(self.root.join(parent));
            }
        }
        for dir in dirs {
            if std::fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_symlink()) {
                continue;
            }
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let Some((file, pid)) = name.strip_prefix('.').and_then(|n| n.rsplit_once(".tmp-")) else {
                    continue;
                };
                let rel = dir.strip_prefix(&self.root).unwrap_or(Path::new("")).join(file);
                let listed = file == MANIFEST || self.files.contains(&*rel.to_string_lossy());
                if listed
                    && !pid.is_empty()
                    && pid.chars().all(|c| c.is_ascii_digit())
                    && e.file_type().is_ok_and(|t| t.is_file())
                {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether byzlab wrote `name` here.
    pub fn owns(&self, name: &str) -> bool {
        self.files.contains(name)
    }

    /// The path to write `name` (`a.csv`, `witnesses/cell-3.json`) at, once
    /// it is listed as byzlab's: refused if a file of that name is there and
    /// not byzlab's, or if it or its subfolder is a symbolic link.
    pub fn file(&mut self, name: &str) -> Result<PathBuf, FolderError> {
        let rel = Path::new(name);
        if name.is_empty()
            || rel.is_absolute()
            || rel.components().any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(FolderError::BadName(name.to_string()));
        }
        // Every subfolder on the way: a real folder (made if missing).
        let mut dir = self.root.clone();
        let parts: Vec<_> = rel.components().collect();
        for part in &parts[..parts.len() - 1] {
            dir.push(part);
            match std::fs::symlink_metadata(&dir) {
                Ok(m) if m.file_type().is_symlink() => return Err(FolderError::Link(dir.display().to_string())),
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Err(FolderError::NotOurs(dir.display().to_string())),
                Err(_) => std::fs::create_dir(&dir).map_err(io(&dir))?,
            }
        }
        let path = self.root.join(rel);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => return Err(FolderError::Link(path.display().to_string())),
            Ok(_) if !self.files.contains(name) => return Err(FolderError::NotOurs(path.display().to_string())),
            _ => {}
        }
        if self.files.insert(name.to_string()) {
            self.save()?;
        }
        Ok(path)
    }

    /// Writes `name` crash-safely (a temporary file renamed over it). A
    /// `summary.md` gets an `index.html` beside it, the same text as a page
    /// ([`crate::html`]).
    pub fn write(&mut self, name: &str, bytes: impl AsRef<[u8]>) -> Result<(), FolderError> {
        let bytes = bytes.as_ref();
        if name == "summary.md" {
            let fallback = format!(
                "results/{}",
                self.root
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            );
            let page = crate::html::page(&String::from_utf8_lossy(bytes), &fallback);
            let path = self.file("index.html")?;
            crate::files::write_atomic(&path, page).map_err(io(&path))?;
        }
        let path = self.file(name)?;
        crate::files::write_atomic(&path, bytes).map_err(io(&path))
    }

    /// Deletes every file byzlab listed here that `keep` does not keep (and
    /// the subfolders that leaves empty); never through a link.
    pub fn remove_ours(&mut self, keep: impl Fn(&str) -> bool) -> Result<(), FolderError> {
        let gone: Vec<String> = self.files.iter().filter(|n| !keep(n)).cloned().collect();
        for name in &gone {
            let path = self.root.join(name);
            let mut dir = self.root.clone();
            let parts: Vec<_> = Path::new(name).components().collect();
            for part in &parts[..parts.len().saturating_sub(1)] {
                dir.push(part);
                if std::fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_symlink()) {
                    return Err(FolderError::Link(dir.display().to_string()));
                }
            }
            match std::fs::symlink_metadata(&path) {
                Ok(m) if m.file_type().is_symlink() => return Err(FolderError::Link(path.display().to_string())),
                Ok(m) if m.is_file() => std::fs::remove_file(&path).map_err(io(&path))?,
                _ => {}
            }
            if parts.len() > 1 {
                let _ = std::fs::remove_dir(path.parent().unwrap_or(&self.root));
            }
        }
        for name in gone {
            self.files.remove(&name);
        }
        self.save()
    }

    /// Writes the list (crash-safely).
    fn save(&self) -> Result<(), FolderError> {
        save(&self.root, &self.command, &self.files)
    }
}

/// Writes a folder's list of what `command` wrote there (crash-safely).
fn save(root: &Path, command: &str, files: &BTreeSet<String>) -> Result<(), FolderError> {
    let mut text = format!("byzlab {command}\n");
    for f in files {
        text.push_str(f);
        text.push('\n');
    }
    let path = root.join(MANIFEST);
    crate::files::write_atomic(&path, text).map_err(io(&path))
}

/// Recognises a folder a command with fixed file names wrote before
/// `.byzlab-files` existed: every entry one of `names`, and a `README.md`
/// byzlab wrote (it opens with `# results/`). It owns them all.
pub fn legacy_names(names: &'static [&'static str]) -> impl Fn(&Path) -> Option<Vec<String>> {
    move |root| {
        let mut owned = Vec::new();
        for e in std::fs::read_dir(root).ok()?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name == LOCK {
                continue;
            }
            if !names.contains(&name.as_str()) || !e.file_type().is_ok_and(|t| t.is_file()) {
                return None;
            }
            owned.push(name);
        }
        let readme = std::fs::read_to_string(root.join("README.md")).ok()?;
        readme.starts_with("# results/").then_some(owned)
    }
}

/// Takes the folder's lock, or says who holds it.
fn lock(root: &Path) -> Result<File, FolderError> {
    let path = root.join(LOCK);
    if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(FolderError::Link(path.display().to_string()));
    }
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io(&path))?;
    match file.try_lock() {
        Ok(()) => {
            let _ = file.set_len(0);
            let _ = file.rewind();
            let _ = write!(file, "{}", std::process::id());
            Ok(file)
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            Err(FolderError::Locked {
                path: root.display().to_string(),
                pid: if pid.trim().is_empty() {
                    "unknown".into()
                } else {
                    pid.trim().to_string()
                },
            })
        }
        Err(std::fs::TryLockError::Error(e)) => Err(io(&path)(e)),
    }
}

/// Checks that `path`, a single file byzlab is about to write (a
/// `--diagram`), is new or an SVG byzlab drew: no other file is written over.
pub fn check_new_or_ours_svg(path: &Path) -> Result<(), FolderError> {
    match std::fs::symlink_metadata(path) {
        Err(_) => Ok(()),
        Ok(m) if m.file_type().is_symlink() => Err(FolderError::Link(path.display().to_string())),
        Ok(m) if !m.is_file() => Err(FolderError::NotAFile(path.display().to_string())),
        Ok(_) => {
            let mut head = [0u8; 512];
            let n = File::open(path).and_then(|mut f| f.read(&mut head)).map_err(io(path))?;
            if String::from_utf8_lossy(&head[..n]).contains(crate::experiment::diagram::MARK) {
                Ok(())
            } else {
                Err(FolderError::NotOurs(path.display().to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("byzlab-folder-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn a_folder_is_ours_or_refused() {
        let d = tmp("own");
        let mut f = Folder::claim(&d, "sweep", None).unwrap();
        f.write("a.csv", "x").unwrap();
        f.write("w/cell-1.json", "{}").unwrap();
        // A second writer is refused while the first holds the lock.
        let e = Folder::claim(&d, "sweep", None).unwrap_err().to_string();
        assert!(e.contains(&format!("pid {}", std::process::id())), "{e}");
        drop(f);
        // Another command's folder, and a foreign folder, are refused.
        assert!(matches!(
            Folder::claim(&d, "merge", None),
            Err(FolderError::OtherCommand { .. })
        ));
        let mut f = Folder::claim(&d, "sweep", None).unwrap();
        std::fs::write(d.join("mine.md"), "mine").unwrap();
        assert!(matches!(f.write("mine.md", "x"), Err(FolderError::NotOurs(_))));
        f.remove_ours(|_| false).unwrap();
        assert_eq!(std::fs::read_to_string(d.join("mine.md")).unwrap(), "mine");
        assert!(!d.join("a.csv").exists() && !d.join("w").exists());
        drop(f);
        let other = tmp("foreign");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("notes.txt"), "n").unwrap();
        assert!(matches!(
            Folder::claim(&other, "sweep", None),
            Err(FolderError::Foreign(_))
        ));
    }

    #[test]
    fn links_are_never_followed() {
        let d = tmp("links");
        let target = tmp("links-target");
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(target.join("cell-1.json"), "precious").unwrap();
        let mut f = Folder::claim(&d, "sweep", None).unwrap();
        f.write("witnesses/cell-1.json", "{}").unwrap();
        std::fs::remove_file(d.join("witnesses/cell-1.json")).unwrap();
        std::fs::remove_dir(d.join("witnesses")).unwrap();
        std::os::unix::fs::symlink(&target, d.join("witnesses")).unwrap();
        assert!(matches!(f.remove_ours(|_| false), Err(FolderError::Link(_))));
        assert!(matches!(
            f.write("witnesses/cell-1.json", "x"),
            Err(FolderError::Link(_))
        ));
        assert_eq!(std::fs::read_to_string(target.join("cell-1.json")).unwrap(), "precious");
    }
}
