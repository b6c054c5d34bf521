//! The CORE batch envelope (CAQH CORE connectivity, SOAP 1.2), written and read with a few
//! string operations: the elements are flat and fixed, so no XML library is needed.
//!
//! The X12 payload travels as escaped XML text rather than base64, a simplification the payer
//! simulator shares; several payloads may come back in one retrieval response.

use super::ConnectorError;

pub const CONTENT_TYPE: &str = "application/soap+xml; charset=utf-8";
/// PayloadType of an 837P batch submission.
pub const PAYLOAD_837P: &str = "X12_837_Request_005010X222A1";
/// The retrieval requests, in the order their answers are applied.
pub const RETRIEVAL_PAYLOADS: [&str; 3] = [
    "X12_999_RetrievalRequest_005010X231A1",
    "X12_277CA_RetrievalRequest_005010X214",
    "X12_835_RetrievalRequest_005010X221A1",
];
const CORE_NS: &str = "http://www.caqh.org/SOAP/WSDL/CORERule2.2.0.xsd";

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

/// Element content made of CDATA sections (a `]]>` in the data splits it into several).
fn decode_cdata(raw: &str) -> String {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(start) = rest.find("<![CDATA[") {
        out.push_str(&unescape(rest[..start].trim()));
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
    out.push_str(&unescape(rest.trim()));
    out
}

/// A CORE batch request envelope (submission when `payload` is set, retrieval otherwise).
pub fn request(payload_type: &str, payload_id: &str, sender: &str, receiver: &str, payload: Option<&str>) -> String {
    let (element, mode) = if payload.is_some() {
        ("COREEnvelopeBatchSubmission", "Batch")
    } else {
        ("COREEnvelopeBatchResultsRetrievalRequest", "Batch")
    };
    let timestamp =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let body = payload.map(escape).unwrap_or_default();
    format!(
        "<soapenv:Envelope xmlns:soapenv=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:cor=\"{CORE_NS}\">\
<soapenv:Header/><soapenv:Body><cor:{element}>\
<PayloadType>{}</PayloadType><ProcessingMode>{mode}</ProcessingMode><PayloadID>{}</PayloadID>\
<PayloadLength>{}</PayloadLength><TimeStamp>{timestamp}</TimeStamp><SenderID>{}</SenderID>\
<ReceiverID>{}</ReceiverID><CORERuleVersion>2.2.0</CORERuleVersion><Payload>{body}</Payload>\
</cor:{element}></soapenv:Body></soapenv:Envelope>",
        escape(payload_type),
        escape(payload_id),
        payload.map_or(0, str::len),
        escape(sender),
        escape(receiver),
    )
}

/// A CORE envelope as read: its flat fields and its payloads.
#[derive(Debug, Clone, Default)]
pub struct Message {
    fields: Vec<(String, String)>,
    pub payloads: Vec<String>,
}

impl Message {
    /// Reads every `<Name>text</Name>` leaf element (namespace prefixes dropped).
    pub fn parse(xml: &str) -> Result<Self, ConnectorError> {
        if !xml.contains("Envelope") {
            return Err(ConnectorError::Malformed("not a soap envelope".into()));
        }
        let mut out = Self::default();
        let mut rest = xml;
        while let Some(start) = rest.find('<') {
            rest = &rest[start + 1..];
            let Some(end) = rest.find('>') else { break };
            let tag = &rest[..end];
            rest = &rest[end + 1..];
            if tag.starts_with('/') || tag.starts_with('?') || tag.ends_with('/') {
                continue;
            }
            let name = tag.split_whitespace().next().unwrap_or_default();
            let local = name.rsplit(':').next().unwrap_or(name);
            let close = format!("</{name}>");
            let Some(text_end) = rest.find(&close) else { continue };
            let text = &rest[..text_end];
            let value = if text.trim_start().starts_with("<![CDATA[") {
                decode_cdata(text)
            } else if text.contains('<') {
                continue; // not a leaf: descend into it
            } else {
                unescape(text)
            };
            rest = &rest[text_end + close.len()..];
            if local == "Payload" {
                if !value.trim().is_empty() {
                    out.payloads.push(value);
                }
            } else {
                out.fields.push((local.to_owned(), value));
            }
        }
        Ok(out)
    }

    pub fn field(&self, name: &str) -> Option<String> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_reads_back_with_its_payload_intact() -> Result<(), ConnectorError> {
        let x12 = "ISA*00*<&>~GS*HC~";
        let xml = request(PAYLOAD_837P, "id-1", "SENDER", "RECEIVER", Some(x12));
        let msg = Message::parse(&xml)?;
        assert_eq!(msg.field("PayloadType").as_deref(), Some(PAYLOAD_837P));
        assert_eq!(msg.field("ProcessingMode").as_deref(), Some("Batch"));
        assert_eq!(msg.field("SenderID").as_deref(), Some("SENDER"));
        assert_eq!(msg.field("PayloadLength").as_deref(), Some(x12.len().to_string().as_str()));
        assert_eq!(msg.payloads, [x12]);
        Ok(())
    }

    #[test]
    fn cdata_payloads_are_read_verbatim() -> Result<(), ConnectorError> {
        let xml = "<s:Envelope><s:Body><c:R><ErrorCode>Success</ErrorCode>\
                   <Payload><![CDATA[ISA*a]]]]><![CDATA[>b~]]></Payload></c:R></s:Body></s:Envelope>";
        let msg = Message::parse(xml)?;
        assert_eq!(msg.payloads, ["ISA*a]]>b~"]);
        assert_eq!(msg.field("ErrorCode").as_deref(), Some("Success"));
        Ok(())
    }

    #[test]
    fn a_retrieval_request_has_no_payload() -> Result<(), ConnectorError> {
        let msg = Message::parse(&request(RETRIEVAL_PAYLOADS[0], "id-2", "S", "R", None))?;
        assert!(msg.payloads.is_empty());
        assert_eq!(msg.field("PayloadID").as_deref(), Some("id-2"));
        assert!(Message::parse("plain text").is_err());
        Ok(())
    }
}
