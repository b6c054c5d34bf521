//! Tests of the ACK builder: every ACK it writes must parse back with the expected fields.
#![allow(clippy::unwrap_used, clippy::panic)]

use proptest::prelude::*;

use super::*;
use crate::{Message, sniff_header};

const ORM_V23: &str = "MSH|^~\\&|EHR|SYNTHCLINIC|MASSAGE|SYNTHMT|20260105101500||ORM^O01|MSG0001|T|2.3\rPID|1\r";
const OMG_V28: &str = "MSH|^~\\&|ORDApp|GHH^2.16^ISO|EHRApp|GHHR|202110201126+0215||OMG^O19^OMG_O19|MSG00019|P|2.8\r";

#[test]
fn accept_mirrors_the_original_header() {
    let orig = Message::parse(ORM_V23).unwrap();
    let ack = AckBuilder::new(orig.header(), AckCode::Accept, "ACK0001", "20260105101501").build();
    let msg = Message::parse(&ack).unwrap();
    let h = msg.header();
    assert_eq!(h.sending_application().raw(), "MASSAGE");
    assert_eq!(h.sending_facility().raw(), "SYNTHMT");
    assert_eq!(h.receiving_application().raw(), "EHR");
    assert_eq!(h.receiving_facility().raw(), "SYNTHCLINIC");
    assert_eq!(h.message_type(), ("ACK", "O01"));
    assert_eq!(h.message_structure(), "", "v2.3 has no message structure component");
    assert_eq!(h.control_id(), "ACK0001");
    assert_eq!(h.processing_id(), "T");
    assert_eq!(h.version(), "2.3");
    let msa = msg.segment("MSA").unwrap();
    assert_eq!(msa.field(1).raw(), "AA");
    assert_eq!(msa.field(2).raw(), "MSG0001");
    assert!(msg.segment("ERR").is_none());
}

#[test]
fn v25_error_uses_erl_cwe_and_severity() {
    let orig = Message::parse(OMG_V28).unwrap();
    let loc = Location::segment(3, "PID", 1).field(5).component(1);
    let ack = AckBuilder::new(orig.header(), AckCode::Error, "A2", "20260105")
        .text("patient name | missing")
        .error(AckError::new(ErrorCode::RequiredFieldMissing, Some(loc)).with_diagnostic("PID-5 is empty"))
        .build();
    let msg = Message::parse(&ack).unwrap();
    assert_eq!(msg.header().message_structure(), "ACK");
    let msa = msg.segment("MSA").unwrap();
    assert_eq!(msa.field(1).raw(), "AE");
    assert_eq!(msa.field(3).text(), "patient name | missing");
    let err = msg.segment("ERR").unwrap();
    assert!(err.field(1).is_empty());
    assert_eq!(err.field(2).raw(), "PID^1^5^1^1");
    assert_eq!(err.field(3).component(1).raw(), "101");
    assert_eq!(err.field(3).component(3).raw(), "HL70357");
    assert_eq!(err.field(4).raw(), "E");
    assert_eq!(err.field(7).text(), "PID-5 is empty");
}

#[test]
fn pre_v25_error_uses_eld_and_msa6() {
    let orig = Message::parse(ORM_V23).unwrap();
    let ack = AckBuilder::new(orig.header(), AckCode::Reject, "A3", "20260105")
        .error(AckError::new(ErrorCode::UnsupportedMessageType, None))
        .build();
    let msg = Message::parse(&ack).unwrap();
    let msa = msg.segment("MSA").unwrap();
    assert_eq!(msa.field(1).raw(), "AR");
    assert_eq!(msa.field(6).component(1).raw(), "200");
    let err = msg.segment("ERR").unwrap();
    assert_eq!(err.field(1).component(4).subcomponent(1), "200");
    assert_eq!(err.field(1).component(4).subcomponent(3), "HL70357");

    let with_loc = AckBuilder::new(orig.header(), AckCode::Error, "A4", "20260105")
        .error(AckError::new(ErrorCode::DataTypeError, Some(Location::segment(1, "PID", 1).field(7))))
        .build();
    let err = Message::parse(&with_loc).unwrap().segment("ERR").unwrap().field(1);
    assert_eq!((err.component(1).raw(), err.component(2).raw(), err.component(3).raw()), ("PID", "1", "7"));
    assert_eq!(err.component(4).subcomponent(1), "102");
}

#[test]
fn nak_for_a_message_whose_body_is_broken() {
    let broken = "MSH|^~\\&|EHR|CLIN|RX|MT|20260105||ORM^O01|C77|P|2.5\rpid|lower case id\r";
    let err = Message::parse(broken).unwrap_err();
    let header = sniff_header(broken).unwrap();
    let ack = AckBuilder::new(header, AckCode::Reject, "N1", "20260105").error(AckError::from(&err)).build();
    let msg = Message::parse(&ack).unwrap();
    assert_eq!(msg.segment("MSA").unwrap().field(2).raw(), "C77");
    let err_seg = msg.segment("ERR").unwrap();
    assert_eq!(err_seg.field(3).component(1).raw(), "100");
    assert_eq!(err_seg.field(2).raw(), "pid^1");
}

#[test]
fn nak_without_any_header() {
    let ack = AckBuilder::without_original(AckCode::Reject, "N2", "20260105")
        .error(AckError::new(ErrorCode::SegmentSequenceError, None))
        .build();
    let msg = Message::parse(&ack).unwrap();
    assert_eq!(msg.header().message_type(), ("ACK", ""));
    assert_eq!(msg.segment("MSA").unwrap().field(2).raw(), "");
    assert_eq!(msg.segment("ERR").unwrap().field(3).component(1).raw(), "100");
}

#[test]
fn custom_delimiters_are_kept_in_the_reply() {
    let orig = "MSH#$*@!#EHR#CLIN#RX#MT#20260105##ORM$O01#C9#P#2.5\rPID#1\r";
    let msg = Message::parse(orig).unwrap();
    let ack = AckBuilder::new(msg.header(), AckCode::Error, "A9", "20260105")
        .text("a#b")
        .error(AckError::new(ErrorCode::TableValueNotFound, Some(Location::segment(1, "PID", 1).field(8))))
        .build();
    assert!(ack.starts_with("MSH#$*@!#RX#MT#EHR#CLIN#"), "{ack}");
    let back = Message::parse(&ack).unwrap();
    assert_eq!(back.segment("MSA").unwrap().field(3).text(), "a#b");
    assert_eq!(back.segment("ERR").unwrap().field(3).component(1).raw(), "103");
}

proptest! {
    #[test]
    fn every_ack_round_trips(
        app in "[A-Za-z0-9 ]{0,12}", ctrl in "[A-Za-z0-9]{1,20}", text in "\\PC{0,30}",
        diag in "\\PC{0,30}", version in prop::sample::select(vec!["2.3", "2.4", "2.5", "2.5.1", "2.8"]),
        code in prop::sample::select(vec![AckCode::Accept, AckCode::Error, AckCode::Reject]),
        field in 1usize..40,
    ) {
        let orig = format!("MSH|^~\\&|{app}|F1|R|F2|20260105||ORM^O01|{ctrl}|P|{version}\r");
        let parsed = Message::parse(&orig).unwrap();
        let mut builder = AckBuilder::new(parsed.header(), code, "ACK1", "20260105").text(text.clone());
        if code != AckCode::Accept {
            builder = builder.error(
                AckError::new(ErrorCode::DataTypeError, Some(Location::segment(1, "PID", 1).field(field)))
                    .with_diagnostic(diag),
            );
        }
        let ack = builder.build();
        let back = Message::parse(&ack).unwrap();
        prop_assert_eq!(back.header().receiving_application().raw(), app.as_str());
        let msa = back.segment("MSA").unwrap();
        prop_assert_eq!(msa.field(1).raw(), code.as_str());
        prop_assert_eq!(msa.field(2).raw(), ctrl.as_str());
        // text with CR/LF is escaped and comes back identical
        prop_assert_eq!(msa.field(3).text(), text.as_str());
        prop_assert_eq!(back.segment("ERR").is_some(), code != AckCode::Accept);
    }
}
