//! Every config key the file may hold, and whether a change to it applies live.
//!
//! [`KEYS`] is the single list of key names: the loader rejects any key not in it (suggesting
//! the closest one), docs/config.md must mention each of them (a test checks), and the control
//! plane uses [`reload_of`] and [`super::Config::restart_only_changes`] to refuse a live push
//! that changes a restart-only key, naming the key.
//!
//! Key names are schema paths: `account.tps` stands for `account[N].tps` of every
//! `[[account]]`, `account.cmpp.source_addr` for the inline table's field.

/// Whether a changed value takes effect without restarting the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reload {
    /// Applied by the next snapshot push. Per-session values (window, timeouts) apply to
    /// sessions opened after the change; a changed connector re-binds its sessions politely.
    Live,
    /// Read once at start-up (sockets, cores, pool sizes, the journal): a change needs a
    /// restart, and a live push changing it is refused by key name.
    Restart,
}

/// One config key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// The schema path, e.g. `node.id`, `account.tps`, `account.cmpp.shared_secret`.
    pub key: &'static str,
    /// Live or restart-only.
    pub reload: Reload,
}

/// Every key, grouped by section in file order.
pub const KEYS: &[KeySpec] = &[
    restart("node.id"),
    restart("node.cores"),
    restart("node.data_dir"),
    restart("node.io_backend"),
    restart("node.durability"),
    restart("control.listen"),
    restart("metrics.listen"),
    restart("smpp.listen"),
    restart("cmpp.listen"),
    restart("limits.sessions_max"),
    restart("limits.connector_queue_max"),
    restart("limits.receipt_queue_max"),
    restart("limits.mo_queue_max"),
    restart("limits.pdu_size_max"),
    restart("limits.transmit_size_max"),
    live("limits.response_timeout_ms"),
    live("limits.bind_timeout_ms"),
    live("limits.enquire_link_s"),
    live("limits.idle_timeout_s"),
    restart("journal.segment_size_bytes"),
    restart("journal.sync_interval_ms"),
    live("routing.no_route_status"),
    live("routing.all_down_status"),
    live("account.id"),
    live("account.password"),
    live("account.allowed_ips"),
    live("account.max_binds"),
    live("account.tps"),
    live("account.window"),
    live("account.short_codes"),
    live("account.message_id_format"),
    live("account.sender_tps"),
    live("account.prefix_tps"),
    live("account.prefix_digits"),
    live("account.delayed_response_ms"),
    live("account.mo_concat"),
    live("account.cmpp.source_addr"),
    live("account.cmpp.shared_secret"),
    live("connector.name"),
    live("connector.address"),
    live("connector.system_id"),
    live("connector.password"),
    live("connector.bind"),
    live("connector.binds"),
    live("connector.window"),
    live("connector.tps"),
    live("connector.enquire_link_s"),
    live("route.prefix"),
    live("route.connectors"),
    live("route.account"),
    live("portability.number"),
    live("portability.connectors"),
];

/// Whether a change to the key at `path` applies live; `None` for an unknown key.
///
/// `path` is a concrete key path as errors print it (`account[2].tps`) or a schema path
/// (`account.tps`); array indices are ignored.
pub fn reload_of(path: &str) -> Option<Reload> {
    let schema_path = strip_indices(path);
    KEYS.iter()
        .find(|spec| spec.key == schema_path)
        .map(|spec| spec.reload)
}

/// The key names allowed directly inside `section` (`""` for the top level, `account`,
/// `account.cmpp`), in schema order without repeats.
pub(super) fn children(section: &str) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for spec in KEYS {
        let rest = if section.is_empty() {
            Some(spec.key)
        } else {
            spec.key
                .strip_prefix(section)
                .and_then(|rest| rest.strip_prefix('.'))
        };
        if let Some(rest) = rest {
            let name = rest.split('.').next().unwrap_or(rest);
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// The known key in `section` closest to `unknown`, if within [`SUGGESTION_DISTANCE_MAX`]
/// edits (case-insensitive, `-` read as `_`).
pub(super) fn suggest(section: &str, unknown: &str) -> Option<&'static str> {
    let unknown = unknown.to_ascii_lowercase().replace('-', "_");
    closest(&unknown, children(section))
}

/// The candidate closest to `word` within [`SUGGESTION_DISTANCE_MAX`] edits, the first one on a
/// tie. Words longer than [`SUGGESTION_INPUT_CHARS_MAX`] get no suggestion, which bounds the
/// quadratic distance computation on hostile input.
pub(super) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let length = word.chars().count();
    if length > SUGGESTION_INPUT_CHARS_MAX {
        return None;
    }
    candidates
        .into_iter()
        .filter(|candidate| {
            let candidate_length = candidate.chars().count();
            candidate_length <= SUGGESTION_INPUT_CHARS_MAX
                && candidate_length.abs_diff(length) <= SUGGESTION_DISTANCE_MAX
        })
        .map(|candidate| (edit_distance(word, candidate), candidate))
        .filter(|(distance, _)| *distance <= SUGGESTION_DISTANCE_MAX)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance in characters, computed with one row; inputs are key names, so short.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, b_char) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(a_char != *b_char);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// `account[2].cmpp.source_addr` → `account.cmpp.source_addr`.
fn strip_indices(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => in_index = true,
            ']' => in_index = false,
            _ => {
                if !in_index {
                    out.push(c);
                }
            }
        }
    }
    out
}

const fn live(key: &'static str) -> KeySpec {
    KeySpec {
        key,
        reload: Reload::Live,
    }
}

const fn restart(key: &'static str) -> KeySpec {
    KeySpec {
        key,
        reload: Reload::Restart,
    }
}

/// Largest edit distance at which an unknown key gets a "did you mean" suggestion: two edits
/// catch a typo or a transposition without suggesting unrelated short keys.
const SUGGESTION_DISTANCE_MAX: usize = 2;

/// Longest word, in characters, for which a suggestion is computed: key and connector names are
/// far shorter.
const SUGGESTION_INPUT_CHARS_MAX: usize = 64;
