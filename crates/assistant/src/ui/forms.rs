//! Reading the wizard forms (`application/x-www-form-urlencoded`, repeated names allowed).

/// The fields of a submitted form, in order.
#[derive(Clone, Default)]
pub struct FormFields(Vec<(String, String)>);

impl std::fmt::Debug for FormFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Forms carry contact details.
        f.write_str("FormFields([redacted])")
    }
}

/// At most this many fields in one form (a supplies list is the longest).
const MAX_FIELDS: usize = 400;

impl FormFields {
    pub fn parse(body: &[u8]) -> Self {
        Self(
            url::form_urlencoded::parse(body)
                .take(MAX_FIELDS)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_and_escapes_are_read() {
        let f = FormFields::parse(b"pick=1.1&pick=1.2&name=Erika+M%C3%BCller&empty=");
        assert_eq!(f.all("pick"), vec!["1.1", "1.2"]);
        assert_eq!(f.get("name"), "Erika Müller");
        assert_eq!(f.get("missing"), "");
        assert_eq!(format!("{f:?}"), "FormFields([redacted])");
    }
}
