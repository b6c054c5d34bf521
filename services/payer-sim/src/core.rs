//! CAQH CORE connectivity envelopes (CORE rule version 2.2.0) carried in SOAP 1.2: writing and
//! reading the envelope fields, the WS-Security `UsernameToken` header and SOAP faults.
//!
//! Shared by the simulator (server side) and rxbridge's payer connectors (client side), so both
//! ends agree on one wire format. The XML handling is deliberately small: CORE envelopes are
//! flat sequences of simple elements, so an element is found by its local name whatever its
//! namespace prefix; text is unescaped and CDATA sections are unwrapped. Pure: no I/O.
//!
//! A real-time request is a `COREEnvelopeRealTimeRequest`; its answer a
//! `COREEnvelopeRealTimeResponse` (with `ErrorCode` `Success` or an error code and message).
//! Batch envelopes (`COREEnvelopeBatchSubmission`, ...) use the same fields plus optional
//! `PayloadLength` and `CheckSum`, which [`CoreEnvelope::extra`] carries.

/// SOAP 1.2 envelope namespace.
pub const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";
/// The CORE rule 2.2.0 schema namespace.
pub const CORE_NS: &str = "http://www.caqh.org/SOAP/WSDL/CORERule2.2.0.xsd";
/// WS-Security 1.0 extension namespace.
pub const WSSE_NS: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
/// `Type` of a plain-text password in a `UsernameToken`.
pub const PASSWORD_TEXT: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";
/// The content type of SOAP 1.2 messages.
pub const SOAP12_CONTENT_TYPE: &str = "application/soap+xml; charset=utf-8";
/// `CORERuleVersion` written and expected.
pub const CORE_RULE_VERSION: &str = "2.2.0";

/// Root element of a real-time request body.
pub const REAL_TIME_REQUEST: &str = "COREEnvelopeRealTimeRequest";
/// Root element of a real-time response body.
pub const REAL_TIME_RESPONSE: &str = "COREEnvelopeRealTimeResponse";
/// `PayloadType` of a 270 inquiry.
pub const X12_270_REQUEST: &str = "X12_270_Request_005010X279A1";
/// `PayloadType` of a 271 answer.
pub const X12_271_RESPONSE: &str = "X12_271_Response_005010X279A1";
/// `PayloadType` of an envelope-level error answer (no X12 payload).
pub const CORE_ERROR: &str = "CoreEnvelopeError";
/// `ProcessingMode` of real-time exchanges.
pub const REAL_TIME: &str = "RealTime";
/// `ProcessingMode` of batch exchanges.
pub const BATCH: &str = "Batch";
/// `ErrorCode` of a successful exchange.
pub const SUCCESS: &str = "Success";

/// The fields of one CORE envelope, in schema order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CoreEnvelope {
    pub payload_type: String,
    pub processing_mode: String,
    /// Unique per message (a UUID); answers echo the request's.
    pub payload_id: String,
    /// RFC 3339 time the message was written.
    pub timestamp: String,
    pub sender_id: String,
    pub receiver_id: String,
    pub rule_version: String,
    /// The X12 text; absent on error answers and batch retrievals.
    pub payload: Option<String>,
    /// Responses only: `Success` or an error code.
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// Further simple elements (e.g. `PayloadLength`, `CheckSum`), written after the payload.
    pub extra: Vec<(String, String)>,
}

/// Credentials of the WS-Security `UsernameToken` header.
#[derive(Clone, PartialEq, Eq)]
pub struct UsernameToken {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for UsernameToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsernameToken").field("username", &self.username).finish_non_exhaustive()
    }
}

/// Why an incoming SOAP message could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("not a soap envelope")]
    NotSoap,
    #[error("soap fault: {0}")]
    Fault(String),
    #[error("missing {0} in the core envelope")]
    Missing(&'static str),
    #[error("no {0} element in the soap body")]
    WrongBody(String),
}

/// Escapes text for an XML element or attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Reverses [`escape`] (and numeric character references).
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let Some(end) = after.find(';') else {
            out.push_str(after);
            return out;
        };
        let entity = &after[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Wraps X12 in a CDATA section (splitting any `]]>` it contains).
pub fn cdata(text: &str) -> String {
    format!("<![CDATA[{}]]>", text.replace("]]>", "]]]]><![CDATA[>"))
}

/// Decodes element content: CDATA sections verbatim, everything else unescaped.
fn content_text(raw: &str) -> String {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(start) = rest.find("<![CDATA[") {
        out.push_str(&unescape(&rest[..start]));
        let inner = &rest[start + 9..];
        match inner.find("]]>") {
            Some(end) => {
                out.push_str(&inner[..end]);
                rest = &inner[end + 3..];
            }
            None => {
                out.push_str(inner);
                return out;
            }
        }
    }
    out.push_str(&unescape(rest));
    out
}

/// Where the first element with local name `name` starts (index of `<`) and where its start
/// tag ends (index after `>`); self-closing tags report `None` content.
fn find_start(xml: &str, name: &str) -> Option<(usize, usize, bool)> {
    let mut from = 0;
    while let Some(rel) = xml.get(from..)?.find('<') {
        let lt = from + rel;
        let tag_end = lt + xml.get(lt..)?.find('>')?;
        let tag = xml.get(lt + 1..tag_end)?;
        from = tag_end + 1;
        if tag.starts_with('/') || tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        let qname = tag.split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or_default();
        let local = qname.rsplit(':').next().unwrap_or_default();
        if local == name {
            return Some((lt, tag_end + 1, tag.ends_with('/')));
        }
    }
    None
}

/// The raw content of the first element with local name `name` (markup inside kept).
pub fn element_raw<'x>(xml: &'x str, name: &str) -> Option<&'x str> {
    let (_, content_start, self_closing) = find_start(xml, name)?;
    if self_closing {
        return Some("");
    }
    let body = xml.get(content_start..)?;
    // The matching end tag: `</name>` or `</prefix:name>`; CORE elements do not nest themselves.
    let mut from = 0;
    while let Some(rel) = body.get(from..)?.find("</") {
        let at = from + rel;
        if body.get(at..)?.starts_with("</![") {
            from = at + 2;
            continue;
        }
        let close_end = at + body.get(at..)?.find('>')?;
        let qname = body.get(at + 2..close_end)?.trim();
        if qname.rsplit(':').next() == Some(name) {
            return body.get(..at);
        }
        from = close_end + 1;
    }
    None
}

/// The text of the first element with local name `name`, decoded; `None` when absent.
pub fn element_text(xml: &str, name: &str) -> Option<String> {
    element_raw(xml, name).map(content_text)
}

impl CoreEnvelope {
    /// A real-time 270 request envelope with a fresh payload id written by the caller.
    pub fn real_time_request(
        payload_id: impl Into<String>,
        timestamp: impl Into<String>,
        sender_id: impl Into<String>,
        receiver_id: impl Into<String>,
        x12: impl Into<String>,
    ) -> Self {
        Self {
            payload_type: X12_270_REQUEST.into(),
            processing_mode: REAL_TIME.into(),
            payload_id: payload_id.into(),
            timestamp: timestamp.into(),
            sender_id: sender_id.into(),
            receiver_id: receiver_id.into(),
            rule_version: CORE_RULE_VERSION.into(),
            payload: Some(x12.into()),
            ..Self::default()
        }
    }

    /// Writes the envelope as a SOAP 1.2 message whose body element is `root`
    /// (e.g. [`REAL_TIME_REQUEST`]), with a WS-Security header when `token` is given.
    pub fn to_soap(&self, root: &str, token: Option<&UsernameToken>) -> String {
        let mut xml = String::with_capacity(1024 + self.payload.as_ref().map_or(0, String::len));
        xml.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        xml.push_str(&format!(r#"<soapenv:Envelope xmlns:soapenv="{SOAP12_NS}" xmlns:cor="{CORE_NS}">"#));
        xml.push_str("<soapenv:Header>");
        if let Some(t) = token {
            xml.push_str(&format!(
                r#"<wsse:Security xmlns:wsse="{WSSE_NS}" soapenv:mustUnderstand="true"><wsse:UsernameToken><wsse:Username>{}</wsse:Username><wsse:Password Type="{PASSWORD_TEXT}">{}</wsse:Password></wsse:UsernameToken></wsse:Security>"#,
                escape(&t.username),
                escape(&t.password)
            ));
        }
        xml.push_str("</soapenv:Header><soapenv:Body>");
        xml.push_str(&format!("<cor:{root}>"));
        let mut field = |name: &str, value: &str| xml.push_str(&format!("<{name}>{}</{name}>", escape(value)));
        field("PayloadType", &self.payload_type);
        field("ProcessingMode", &self.processing_mode);
        field("PayloadID", &self.payload_id);
        field("TimeStamp", &self.timestamp);
        field("SenderID", &self.sender_id);
        field("ReceiverID", &self.receiver_id);
        field("CORERuleVersion", &self.rule_version);
        if let Some(p) = &self.payload {
            xml.push_str(&format!("<Payload>{}</Payload>", cdata(p)));
        }
        for (name, value) in &self.extra {
            xml.push_str(&format!("<{name}>{}</{name}>", escape(value)));
        }
        if let Some(code) = &self.error_code {
            xml.push_str(&format!("<ErrorCode>{}</ErrorCode>", escape(code)));
        }
        if let Some(msg) = &self.error_message {
            xml.push_str(&format!("<ErrorMessage>{}</ErrorMessage>", escape(msg)));
        }
        xml.push_str(&format!("</cor:{root}></soapenv:Body></soapenv:Envelope>"));
        xml
    }

    /// Reads the envelope in the body element `root` of a SOAP message. A SOAP fault is an
    /// [`EnvelopeError::Fault`] carrying the fault reason text.
    pub fn from_soap(xml: &str, root: &str) -> Result<Self, EnvelopeError> {
        let body = element_raw(xml, "Body").ok_or(EnvelopeError::NotSoap)?;
        if let Some(fault) = element_raw(body, "Fault") {
            let reason = element_text(fault, "Text").unwrap_or_else(|| "unspecified".into());
            return Err(EnvelopeError::Fault(reason.trim().to_owned()));
        }
        let env = element_raw(body, root).ok_or_else(|| EnvelopeError::WrongBody(root.to_owned()))?;
        let required = |name: &'static str| element_text(env, name).ok_or(EnvelopeError::Missing(name));
        let mut extra = Vec::new();
        for name in ["PayloadLength", "CheckSum"] {
            if let Some(v) = element_text(env, name) {
                extra.push((name.to_owned(), v));
            }
        }
        Ok(Self {
            payload_type: required("PayloadType")?,
            processing_mode: required("ProcessingMode")?,
            payload_id: required("PayloadID")?,
            timestamp: required("TimeStamp")?,
            sender_id: required("SenderID")?,
            receiver_id: required("ReceiverID")?,
            rule_version: required("CORERuleVersion")?,
            payload: element_text(env, "Payload"),
            error_code: element_text(env, "ErrorCode"),
            error_message: element_text(env, "ErrorMessage"),
            extra,
        })
    }
}

/// The `UsernameToken` of a SOAP message's WS-Security header, if any.
pub fn username_token(xml: &str) -> Option<UsernameToken> {
    let header = element_raw(xml, "Header")?;
    let token = element_raw(header, "UsernameToken")?;
    Some(UsernameToken { username: element_text(token, "Username")?, password: element_text(token, "Password")? })
}

/// A SOAP 1.2 fault (`Sender` for the client's mistakes, `Receiver` for the server's).
pub fn soap_fault(sender_side: bool, reason: &str) -> String {
    let code = if sender_side { "soapenv:Sender" } else { "soapenv:Receiver" };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP12_NS}"><soapenv:Body><soapenv:Fault><soapenv:Code><soapenv:Value>{code}</soapenv:Value></soapenv:Code><soapenv:Reason><soapenv:Text xml:lang="en">{}</soapenv:Text></soapenv:Reason></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#,
        escape(reason)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CoreEnvelope {
        CoreEnvelope::real_time_request(
            "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
            "2026-01-15T09:30:00Z",
            "CLINIC01",
            "PAYER01",
            "ISA*00*~GS*HS~ST*270*0001~NM1*IL*1*O'BRIEN&CO<]]>~SE*3*0001~",
        )
    }

    #[test]
    fn request_round_trips_with_token_and_odd_payload() {
        let token = UsernameToken { username: "clinic&1".into(), password: "p<w>d".into() };
        let xml = sample().to_soap(REAL_TIME_REQUEST, Some(&token));
        let back = CoreEnvelope::from_soap(&xml, REAL_TIME_REQUEST).expect("readable");
        assert_eq!(back, sample());
        assert_eq!(username_token(&xml), Some(token));
    }

    #[test]
    fn response_carries_error_fields() {
        let env = CoreEnvelope {
            payload_type: CORE_ERROR.into(),
            payload: None,
            error_code: Some("Unauthorized".into()),
            error_message: Some("bad credentials".into()),
            ..sample()
        };
        let back = CoreEnvelope::from_soap(&env.to_soap(REAL_TIME_RESPONSE, None), REAL_TIME_RESPONSE).expect("ok");
        assert_eq!(back.error_code.as_deref(), Some("Unauthorized"));
        assert_eq!(back.payload, None);
        assert_eq!(username_token(&env.to_soap(REAL_TIME_RESPONSE, None)), None);
    }

    #[test]
    fn faults_and_foreign_bodies_are_errors() {
        let fault = soap_fault(true, "missing security header");
        assert_eq!(
            CoreEnvelope::from_soap(&fault, REAL_TIME_RESPONSE),
            Err(EnvelopeError::Fault("missing security header".into()))
        );
        assert_eq!(CoreEnvelope::from_soap("hello", REAL_TIME_RESPONSE), Err(EnvelopeError::NotSoap));
        let xml = sample().to_soap(REAL_TIME_REQUEST, None);
        assert_eq!(
            CoreEnvelope::from_soap(&xml, REAL_TIME_RESPONSE),
            Err(EnvelopeError::WrongBody(REAL_TIME_RESPONSE.into()))
        );
    }

    #[test]
    fn other_prefixes_are_read() {
        let xml = r#"<S:Envelope xmlns:S="x"><S:Body><c:COREEnvelopeRealTimeResponse xmlns:c="y">
            <c:PayloadType>X12_271_Response_005010X279A1</c:PayloadType><c:ProcessingMode>RealTime</c:ProcessingMode>
            <c:PayloadID>1</c:PayloadID><c:TimeStamp>t</c:TimeStamp><c:SenderID>P</c:SenderID>
            <c:ReceiverID>C</c:ReceiverID><c:CORERuleVersion>2.2.0</c:CORERuleVersion>
            <c:Payload>ISA*00&amp;~</c:Payload><c:ErrorCode>Success</c:ErrorCode>
            </c:COREEnvelopeRealTimeResponse></S:Body></S:Envelope>"#;
        let env = CoreEnvelope::from_soap(xml, REAL_TIME_RESPONSE).expect("readable");
        assert_eq!(env.payload.as_deref(), Some("ISA*00&~"));
        assert_eq!(env.error_code.as_deref(), Some(SUCCESS));
    }

    proptest::proptest! {
        /// Whatever the ids, credentials and payload hold (markup, `]]>`, entities, unicode),
        /// the envelope reads back as written.
        #[test]
        fn any_envelope_round_trips(
            ids in proptest::collection::vec("[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F]{0,24}", 3),
            payload in "[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\r]{0,200}",
            password in "[^\\x00-\\x1F]{0,16}",
        ) {
            let env = CoreEnvelope {
                payload_id: ids[0].clone(),
                sender_id: ids[1].clone(),
                receiver_id: ids[2].clone(),
                payload: Some(payload),
                ..sample()
            };
            let token = UsernameToken { username: ids[1].clone(), password };
            let xml = env.to_soap(REAL_TIME_REQUEST, Some(&token));
            proptest::prop_assert_eq!(CoreEnvelope::from_soap(&xml, REAL_TIME_REQUEST), Ok(env));
            proptest::prop_assert_eq!(username_token(&xml), Some(token));
        }
    }

    #[test]
    fn unescape_keeps_unknown_entities() {
        assert_eq!(unescape("a &bogus; &#65;&#x42; &"), "a &bogus; AB &");
    }
}
