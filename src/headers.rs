//! The one table of header names letterhead knows, and what each holds. The policy takes its
//! identifier headers from it, the builder its author, recipient and lettre-typed headers,
//! MIME its Content-ID, lint the headers it checks. To add a header, add a row.

/// What a header holds, which decides how the pipeline parses its value before a
/// [`HeaderPolicy`](crate::HeaderPolicy) writes it.
///
/// # Example
///
/// ```
/// use letterhead::{message::header::HeaderName, policy::Holds, HeaderPolicy, IdentifierPolicy};
///
/// let policy = IdentifierPolicy::new();
/// let refs = HeaderName::new_from_ascii_str("References");
/// assert_eq!(policy.holds(&refs), Holds::IdList);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Holds {
    /// Exactly one msg-id (Message-ID, Resent-Message-ID, Original-Message-ID).
    Id,
    /// One or more msg-ids (In-Reply-To, References).
    IdList,
    /// One Content-ID: a msg-id, or a bare `<token>` as mail software has always accepted
    /// (RFC 2045 section 7).
    ContentId,
    /// Addresses (From, To, ...).
    Addresses,
    /// Anything else: handed to a policy as its raw text.
    Text,
}

impl Holds {
    /// Whether the header holds msg-ids, and so is written through the identifier rules.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::policy::Holds;
    ///
    /// assert!(Holds::ContentId.is_identifier());
    /// assert!(!Holds::Text.is_identifier());
    /// ```
    pub fn is_identifier(self) -> bool {
        matches!(self, Holds::Id | Holds::IdList | Holds::ContentId)
    }
}

/// What part a header plays beyond what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    None,
    /// Names the author: step 4 of the Message-ID domain order reads it.
    Author,
    /// Names recipients: lettre derives the envelope from it.
    Recipient,
}

pub(crate) struct Row {
    pub(crate) name: &'static str,
    pub(crate) holds: Holds,
    pub(crate) role: Role,
    /// Set by the message builder's own methods and recorded there (not left in lettre's
    /// builder until the message is built).
    pub(crate) builder_recorded: bool,
}

const fn row(name: &'static str, holds: Holds, role: Role, builder_recorded: bool) -> Row {
    Row {
        name,
        holds,
        role,
        builder_recorded,
    }
}

/// Spelled as lettre spells them.
pub(crate) const TABLE: &[Row] = &[
    // RFC 5322 3.6.4, RFC 5322 3.6.6, RFC 3297 (Original-Message-ID), RFC 2045 7.
    row("Message-ID", Holds::Id, Role::None, true),
    row("In-Reply-To", Holds::IdList, Role::None, true),
    row("References", Holds::IdList, Role::None, true),
    row("Resent-Message-ID", Holds::Id, Role::None, false),
    row("Original-Message-ID", Holds::Id, Role::None, false),
    row("Content-ID", Holds::ContentId, Role::None, false),
    // RFC 5322 3.6.2 and 3.6.3: lettre's typed address headers.
    row("From", Holds::Addresses, Role::Author, false),
    row("Sender", Holds::Addresses, Role::Author, false),
    row("To", Holds::Addresses, Role::Recipient, false),
    row("Cc", Holds::Addresses, Role::Recipient, false),
    row("Bcc", Holds::Addresses, Role::Recipient, false),
    row("Reply-To", Holds::Addresses, Role::None, false),
    // lettre's other typed headers.
    row("Date", Holds::Text, Role::None, false),
    row("Subject", Holds::Text, Role::None, false),
    row("Comments", Holds::Text, Role::None, false),
    row("Keywords", Holds::Text, Role::None, false),
    row("User-Agent", Holds::Text, Role::None, false),
    row("MIME-Version", Holds::Text, Role::None, false),
    row("Content-Type", Holds::Text, Role::None, false),
    row("Content-Transfer-Encoding", Holds::Text, Role::None, false),
    row("Content-Disposition", Holds::Text, Role::None, false),
    row("Content-Location", Holds::Text, Role::None, false),
];

/// The row of header `name`, matched without regard to case.
pub(crate) fn find(name: &str) -> Option<&'static Row> {
    // As lettre spells them (the common case), then in any case.
    TABLE
        .iter()
        .find(|r| r.name == name)
        .or_else(|| TABLE.iter().find(|r| r.name.eq_ignore_ascii_case(name)))
}

/// What header `name` holds: [`Holds::Text`] for a header not in the table.
pub(crate) fn holds(name: &str) -> Holds {
    find(name).map_or(Holds::Text, |r| r.holds)
}

/// The identifier headers, in the table's order.
pub(crate) fn identifier_names() -> impl Iterator<Item = &'static str> {
    TABLE
        .iter()
        .filter(|r| r.holds.is_identifier())
        .map(|r| r.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_ignore_case() {
        assert_eq!(holds("references"), Holds::IdList);
        assert_eq!(holds("X-Custom"), Holds::Text);
        assert_eq!(find("sender").map(|r| r.role), Some(Role::Author));
        assert_eq!(
            identifier_names().collect::<Vec<_>>(),
            [
                "Message-ID",
                "In-Reply-To",
                "References",
                "Resent-Message-ID",
                "Original-Message-ID",
                "Content-ID"
            ]
        );
    }
}
