//! SNMP v2c messages (RFC 3416) and their BER encoding (X.690), written out by hand: the decoder is
//! what the network talks to, so it bounds every length and never panics (see the property tests).

use super::oid::{MAX_ARCS, Oid};

/// A value in a variable binding, with its SNMP type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Integer(i32),
    OctetString(Vec<u8>),
    Null,
    ObjectId(Oid),
    IpAddress([u8; 4]),
    Counter32(u32),
    Gauge32(u32),
    TimeTicks(u32),
    Opaque(Vec<u8>),
    Counter64(u64),
    NoSuchObject,
    NoSuchInstance,
    EndOfMibView,
}

impl Value {
    /// An exception value (noSuchObject, noSuchInstance, endOfMibView) carries no data.
    pub fn is_exception(&self) -> bool {
        matches!(
            self,
            Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView
        )
    }

    /// The value as a signed number, for the integer-like types.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Integer(v) => Some(i64::from(*v)),
            Value::Counter32(v) | Value::Gauge32(v) | Value::TimeTicks(v) => Some(i64::from(*v)),
            Value::Counter64(v) => i64::try_from(*v).ok(),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::OctetString(b) | Value::Opaque(b) => Some(b),
            _ => None,
        }
    }

    /// The name net-snmp and the WS-SNMP service use for this type.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Integer(_) => "INTEGER",
            Value::OctetString(_) => "STRING",
            Value::Null => "NULL",
            Value::ObjectId(_) => "OID",
            Value::IpAddress(_) => "IpAddress",
            Value::Counter32(_) => "Counter32",
            Value::Gauge32(_) => "Gauge32",
            Value::TimeTicks(_) => "Timeticks",
            Value::Opaque(_) => "Opaque",
            Value::Counter64(_) => "Counter64",
            Value::NoSuchObject => "noSuchObject",
            Value::NoSuchInstance => "noSuchInstance",
            Value::EndOfMibView => "endOfMibView",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarBind {
    pub oid: Oid,
    pub value: Value,
}

impl VarBind {
    pub fn new(oid: Oid, value: Value) -> Self {
        Self { oid, value }
    }
    pub fn null(oid: Oid) -> Self {
        Self {
            oid,
            value: Value::Null,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PduKind {
    Get,
    GetNext,
    Response,
    Set,
    GetBulk,
    Inform,
    Trap,
    Report,
}

impl PduKind {
    fn tag(self) -> u8 {
        match self {
            PduKind::Get => 0xA0,
            PduKind::GetNext => 0xA1,
            PduKind::Response => 0xA2,
            PduKind::Set => 0xA3,
            PduKind::GetBulk => 0xA5,
            PduKind::Inform => 0xA6,
            PduKind::Trap => 0xA7,
            PduKind::Report => 0xA8,
        }
    }
    fn from_tag(t: u8) -> Option<Self> {
        Some(match t {
            0xA0 => PduKind::Get,
            0xA1 => PduKind::GetNext,
            0xA2 => PduKind::Response,
            0xA3 => PduKind::Set,
            0xA5 => PduKind::GetBulk,
            0xA6 => PduKind::Inform,
            0xA7 => PduKind::Trap,
            0xA8 => PduKind::Report,
            _ => return None,
        })
    }
}

/// SNMP error-status values used here (RFC 3416).
pub mod error_status {
    pub const NO_ERROR: i32 = 0;
    pub const TOO_BIG: i32 = 1;
    pub const GEN_ERR: i32 = 5;
    pub const NO_ACCESS: i32 = 6;
    pub const NOT_WRITABLE: i32 = 17;
}

/// A PDU. For GETBULK, `error_status` holds non-repeaters and `error_index` max-repetitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu {
    pub kind: PduKind,
    pub request_id: i32,
    pub error_status: i32,
    pub error_index: i32,
    pub varbinds: Vec<VarBind>,
}

/// An SNMP v1/v2c community message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// 0 = v1, 1 = v2c.
    pub version: i32,
    pub community: Vec<u8>,
    pub pdu: Pdu,
}

pub const VERSION_2C: i32 = 1;

/// Why bytes are not an SNMP message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("message ends early: needed {needed} more bytes at offset {offset}")]
    Truncated { offset: usize, needed: usize },
    #[error("expected tag 0x{expected:02x} at offset {offset}, found 0x{found:02x}")]
    UnexpectedTag {
        offset: usize,
        expected: u8,
        found: u8,
    },
    #[error("unknown tag 0x{tag:02x} at offset {offset}")]
    UnknownTag { offset: usize, tag: u8 },
    #[error("bad length encoding at offset {0}")]
    BadLength(usize),
    #[error("integer at offset {0} is too large for its type")]
    IntegerOverflow(usize),
    #[error("bad OBJECT IDENTIFIER at offset {0}")]
    BadOid(usize),
    #[error("{0} trailing bytes after the message")]
    TrailingBytes(usize),
    #[error("IpAddress at offset {0} is not 4 bytes")]
    BadIpAddress(usize),
}

const TAG_INTEGER: u8 = 0x02;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_NULL: u8 = 0x05;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;
const TAG_IPADDRESS: u8 = 0x40;
const TAG_COUNTER32: u8 = 0x41;
const TAG_GAUGE32: u8 = 0x42;
const TAG_TIMETICKS: u8 = 0x43;
const TAG_OPAQUE: u8 = 0x44;
const TAG_COUNTER64: u8 = 0x46;
const TAG_NO_SUCH_OBJECT: u8 = 0x80;
const TAG_NO_SUCH_INSTANCE: u8 = 0x81;
const TAG_END_OF_MIB_VIEW: u8 = 0x82;

// ---------------------------------------------------------------- encoding

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

fn push_tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    push_len(out, content.len());
    out.extend_from_slice(content);
}

fn signed_content(v: i64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 7 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0x00 && next & 0x80 == 0) || (b == 0xFF && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    bytes[start..].to_vec()
}

fn unsigned_content(v: u64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(7);
    let mut out = Vec::with_capacity(9);
    if bytes[skip] & 0x80 != 0 {
        out.push(0);
    }
    out.extend_from_slice(&bytes[skip..]);
    out
}

fn oid_content(oid: &Oid) -> Vec<u8> {
    let arcs = oid.arcs();
    let mut out = Vec::with_capacity(arcs.len() + 4);
    let first = u64::from(arcs[0]) * 40 + u64::from(arcs[1]);
    push_base128(&mut out, first);
    for a in &arcs[2..] {
        push_base128(&mut out, u64::from(*a));
    }
    out
}

fn push_base128(out: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 10];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = (v & 0x7F) as u8;
        v >>= 7;
        if v == 0 {
            break;
        }
    }
    let last = tmp.len() - 1;
    for (j, b) in tmp.iter().enumerate().skip(i) {
        out.push(if j == last { *b } else { b | 0x80 });
    }
}

fn push_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Integer(v) => push_tlv(out, TAG_INTEGER, &signed_content(i64::from(*v))),
        Value::OctetString(b) => push_tlv(out, TAG_OCTET_STRING, b),
        Value::Null => push_tlv(out, TAG_NULL, &[]),
        Value::ObjectId(o) => push_tlv(out, TAG_OID, &oid_content(o)),
        Value::IpAddress(a) => push_tlv(out, TAG_IPADDRESS, a),
        Value::Counter32(v) => push_tlv(out, TAG_COUNTER32, &unsigned_content(u64::from(*v))),
        Value::Gauge32(v) => push_tlv(out, TAG_GAUGE32, &unsigned_content(u64::from(*v))),
        Value::TimeTicks(v) => push_tlv(out, TAG_TIMETICKS, &unsigned_content(u64::from(*v))),
        Value::Opaque(b) => push_tlv(out, TAG_OPAQUE, b),
        Value::Counter64(v) => push_tlv(out, TAG_COUNTER64, &unsigned_content(*v)),
        Value::NoSuchObject => push_tlv(out, TAG_NO_SUCH_OBJECT, &[]),
        Value::NoSuchInstance => push_tlv(out, TAG_NO_SUCH_INSTANCE, &[]),
        Value::EndOfMibView => push_tlv(out, TAG_END_OF_MIB_VIEW, &[]),
    }
}

/// The encoded size of one variable binding, so an agent can fit a response into a datagram.
pub fn encoded_varbind(vb: &VarBind) -> Vec<u8> {
    let mut inner = Vec::with_capacity(32);
    push_tlv(&mut inner, TAG_OID, &oid_content(&vb.oid));
    push_value(&mut inner, &vb.value);
    let mut out = Vec::with_capacity(inner.len() + 4);
    push_tlv(&mut out, TAG_SEQUENCE, &inner);
    out
}

impl Message {
    pub fn encode(&self) -> Vec<u8> {
        let encoded: Vec<Vec<u8>> = self.pdu.varbinds.iter().map(encoded_varbind).collect();
        self.encode_with(&encoded)
    }

    /// Encodes with variable bindings that were encoded already (see [`encoded_varbind`]).
    pub fn encode_with(&self, encoded_varbinds: &[Vec<u8>]) -> Vec<u8> {
        let vb_len: usize = encoded_varbinds.iter().map(Vec::len).sum();
        let mut list = Vec::with_capacity(vb_len + 4);
        list.push(TAG_SEQUENCE);
        push_len(&mut list, vb_len);
        for e in encoded_varbinds {
            list.extend_from_slice(e);
        }
        let mut pdu = Vec::with_capacity(list.len() + 20);
        push_tlv(
            &mut pdu,
            TAG_INTEGER,
            &signed_content(i64::from(self.pdu.request_id)),
        );
        push_tlv(
            &mut pdu,
            TAG_INTEGER,
            &signed_content(i64::from(self.pdu.error_status)),
        );
        push_tlv(
            &mut pdu,
            TAG_INTEGER,
            &signed_content(i64::from(self.pdu.error_index)),
        );
        pdu.extend_from_slice(&list);
        let mut body = Vec::with_capacity(pdu.len() + self.community.len() + 12);
        push_tlv(
            &mut body,
            TAG_INTEGER,
            &signed_content(i64::from(self.version)),
        );
        push_tlv(&mut body, TAG_OCTET_STRING, &self.community);
        push_tlv(&mut body, self.pdu.kind.tag(), &pdu);
        let mut out = Vec::with_capacity(body.len() + 4);
        push_tlv(&mut out, TAG_SEQUENCE, &body);
        out
    }

    /// Decodes one message; the whole input must be that message.
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        let mut r = Reader { buf: bytes, pos: 0 };
        let msg = r.expect(TAG_SEQUENCE)?;
        if r.pos != bytes.len() {
            return Err(DecodeError::TrailingBytes(bytes.len() - r.pos));
        }
        let mut m = Reader::sub(bytes, msg);
        let version = m.integer_i32()?;
        let community = m.expect(TAG_OCTET_STRING)?;
        let community = m.slice(community).to_vec();
        let (tag, off) = m.peek_tag()?;
        let kind = PduKind::from_tag(tag).ok_or(DecodeError::UnknownTag { offset: off, tag })?;
        let pdu_span = m.any()?;
        m.finish()?;
        let mut p = Reader::sub(bytes, pdu_span);
        let request_id = p.integer_i32()?;
        let error_status = p.integer_i32()?;
        let error_index = p.integer_i32()?;
        let list_span = p.expect(TAG_SEQUENCE)?;
        p.finish()?;
        let mut l = Reader::sub(bytes, list_span);
        let mut varbinds = Vec::new();
        while !l.at_end() {
            let vb_span = l.expect(TAG_SEQUENCE)?;
            let mut v = Reader::sub(bytes, vb_span);
            let oid_span = v.expect(TAG_OID)?;
            let oid = decode_oid(v.slice(oid_span), oid_span.start)?;
            let value = v.value()?;
            v.finish()?;
            varbinds.push(VarBind { oid, value });
        }
        Ok(Message {
            version,
            community,
            pdu: Pdu {
                kind,
                request_id,
                error_status,
                error_index,
                varbinds,
            },
        })
    }
}

// ---------------------------------------------------------------- decoding

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

#[derive(Clone, Copy)]
struct Content {
    start: usize,
    len: usize,
}

impl<'a> Reader<'a> {
    fn sub(whole: &'a [u8], c: Content) -> Reader<'a> {
        Reader {
            buf: &whole[..c.start + c.len],
            pos: c.start,
        }
    }
    fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }
    fn finish(&self) -> Result<(), DecodeError> {
        if self.at_end() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes(self.buf.len() - self.pos))
        }
    }
    fn slice(&self, c: Content) -> &'a [u8] {
        &self.buf[c.start..c.start + c.len]
    }
    fn peek_tag(&self) -> Result<(u8, usize), DecodeError> {
        self.buf
            .get(self.pos)
            .map(|t| (*t, self.pos))
            .ok_or(DecodeError::Truncated {
                offset: self.pos,
                needed: 1,
            })
    }
    /// Reads one TLV header and returns its content span, advancing past the content.
    fn any(&mut self) -> Result<Content, DecodeError> {
        self.peek_tag()?;
        self.pos += 1;
        let len_off = self.pos;
        let first = *self.buf.get(self.pos).ok_or(DecodeError::Truncated {
            offset: self.pos,
            needed: 1,
        })?;
        self.pos += 1;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7F);
            if n == 0 || n > 4 {
                return Err(DecodeError::BadLength(len_off));
            }
            let bytes = self
                .buf
                .get(self.pos..self.pos + n)
                .ok_or(DecodeError::Truncated {
                    offset: self.pos,
                    needed: n,
                })?;
            self.pos += n;
            bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
        };
        let remaining = self.buf.len() - self.pos;
        if len > remaining {
            return Err(DecodeError::Truncated {
                offset: self.pos,
                needed: len - remaining,
            });
        }
        let c = Content {
            start: self.pos,
            len,
        };
        self.pos += len;
        Ok(c)
    }
    fn expect(&mut self, tag: u8) -> Result<Content, DecodeError> {
        let (found, offset) = self.peek_tag()?;
        if found != tag {
            return Err(DecodeError::UnexpectedTag {
                offset,
                expected: tag,
                found,
            });
        }
        self.any()
    }
    fn integer_i32(&mut self) -> Result<i32, DecodeError> {
        let c = self.expect(TAG_INTEGER)?;
        let v = decode_signed(self.slice(c), c.start)?;
        i32::try_from(v).map_err(|_| DecodeError::IntegerOverflow(c.start))
    }
    fn value(&mut self) -> Result<Value, DecodeError> {
        let (tag, offset) = self.peek_tag()?;
        let c = self.any()?;
        let bytes = self.slice(c);
        let u32v = |b: &[u8]| -> Result<u32, DecodeError> {
            u32::try_from(decode_unsigned(b, c.start)?)
                .map_err(|_| DecodeError::IntegerOverflow(c.start))
        };
        Ok(match tag {
            TAG_INTEGER => Value::Integer(
                i32::try_from(decode_signed(bytes, c.start)?)
                    .map_err(|_| DecodeError::IntegerOverflow(c.start))?,
            ),
            TAG_OCTET_STRING => Value::OctetString(bytes.to_vec()),
            TAG_NULL => Value::Null,
            TAG_OID => Value::ObjectId(decode_oid(bytes, c.start)?),
            TAG_IPADDRESS => Value::IpAddress(
                <[u8; 4]>::try_from(bytes).map_err(|_| DecodeError::BadIpAddress(c.start))?,
            ),
            TAG_COUNTER32 => Value::Counter32(u32v(bytes)?),
            TAG_GAUGE32 => Value::Gauge32(u32v(bytes)?),
            TAG_TIMETICKS => Value::TimeTicks(u32v(bytes)?),
            TAG_OPAQUE => Value::Opaque(bytes.to_vec()),
            TAG_COUNTER64 => Value::Counter64(decode_unsigned(bytes, c.start)?),
            TAG_NO_SUCH_OBJECT => Value::NoSuchObject,
            TAG_NO_SUCH_INSTANCE => Value::NoSuchInstance,
            TAG_END_OF_MIB_VIEW => Value::EndOfMibView,
            _ => return Err(DecodeError::UnknownTag { offset, tag }),
        })
    }
}

fn decode_signed(b: &[u8], offset: usize) -> Result<i64, DecodeError> {
    if b.is_empty() || b.len() > 8 {
        return Err(DecodeError::IntegerOverflow(offset));
    }
    let mut v: i64 = if b[0] & 0x80 != 0 { -1 } else { 0 };
    for byte in b {
        v = (v << 8) | i64::from(*byte);
    }
    Ok(v)
}

fn decode_unsigned(b: &[u8], offset: usize) -> Result<u64, DecodeError> {
    if b.is_empty() || b.len() > 9 || (b.len() == 9 && b[0] != 0) {
        return Err(DecodeError::IntegerOverflow(offset));
    }
    // A leading 1 bit would make the value negative; agents that send it anyway mean the unsigned value.
    Ok(b.iter()
        .fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte)))
}

fn decode_oid(b: &[u8], offset: usize) -> Result<Oid, DecodeError> {
    if b.is_empty() {
        return Err(DecodeError::BadOid(offset));
    }
    let mut subids: Vec<u64> = Vec::with_capacity(b.len() + 1);
    let mut acc: u64 = 0;
    let mut in_progress = false;
    for byte in b {
        if !in_progress && *byte == 0x80 {
            return Err(DecodeError::BadOid(offset)); // non-minimal encoding
        }
        acc = (acc << 7) | u64::from(byte & 0x7F);
        if acc > u64::from(u32::MAX) + 80 {
            return Err(DecodeError::BadOid(offset));
        }
        if byte & 0x80 != 0 {
            in_progress = true;
        } else {
            subids.push(acc);
            acc = 0;
            in_progress = false;
        }
        if subids.len() > MAX_ARCS {
            return Err(DecodeError::BadOid(offset));
        }
    }
    if in_progress {
        return Err(DecodeError::BadOid(offset));
    }
    let first = subids[0];
    let (a, bb) = match first {
        0..=39 => (0, first),
        40..=79 => (1, first - 40),
        _ => (2, first - 80),
    };
    let mut arcs = Vec::with_capacity(subids.len() + 1);
    arcs.push(a as u32);
    arcs.push(u32::try_from(bb).map_err(|_| DecodeError::BadOid(offset))?);
    for s in &subids[1..] {
        arcs.push(u32::try_from(*s).map_err(|_| DecodeError::BadOid(offset))?);
    }
    Oid::from_arcs(arcs).map_err(|_| DecodeError::BadOid(offset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snmp::oid::oid;
    use proptest::prelude::*;

    fn sample() -> Message {
        Message {
            version: VERSION_2C,
            community: b"public".to_vec(),
            pdu: Pdu {
                kind: PduKind::Response,
                request_id: 0x1234_5678,
                error_status: 0,
                error_index: 0,
                varbinds: vec![
                    VarBind::new(
                        oid("1.3.6.1.2.1.1.1.0"),
                        Value::OctetString(b"Xerox".to_vec()),
                    ),
                    VarBind::new(oid("1.3.6.1.2.1.43.11.1.1.9.1.1"), Value::Integer(-3)),
                    VarBind::new(
                        oid("1.3.6.1.2.1.43.10.2.1.4.1.1"),
                        Value::Counter32(u32::MAX),
                    ),
                    VarBind::new(oid("1.3.6.1.2.1.1.3.0"), Value::TimeTicks(4_280_423)),
                    VarBind::new(
                        oid("1.3.6.1.2.1.4.20.1.1.0"),
                        Value::IpAddress([127, 0, 0, 1]),
                    ),
                    VarBind::new(oid("1.3.6.1.2.1.31.1.1.1.6.1"), Value::Counter64(u64::MAX)),
                    VarBind::new(
                        oid("1.3.6.1.2.1.1.2.0"),
                        Value::ObjectId(oid("1.3.6.1.4.1.253.8.62.1")),
                    ),
                    VarBind::new(oid("1.3.6.1.2.1.1.9.0"), Value::Gauge32(0)),
                    VarBind::new(oid("1.3.6.1.2.1.1.10.0"), Value::NoSuchObject),
                    VarBind::new(oid("1.3.6.1.2.1.1.11.0"), Value::EndOfMibView),
                ],
            },
        }
    }

    #[test]
    fn round_trips_every_type() {
        let m = sample();
        assert_eq!(Message::decode(&m.encode()), Ok(m));
    }

    #[test]
    fn encodes_a_get_like_net_snmp() {
        // snmpget -v2c -c public HOST 1.3.6.1.2.1.1.1.0 with request-id 1
        let m = Message {
            version: VERSION_2C,
            community: b"public".to_vec(),
            pdu: Pdu {
                kind: PduKind::Get,
                request_id: 1,
                error_status: 0,
                error_index: 0,
                varbinds: vec![VarBind::null(oid("1.3.6.1.2.1.1.1.0"))],
            },
        };
        let expected = [
            0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', 0xA0,
            0x19, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0E, 0x30, 0x0C,
            0x06, 0x08, 0x2B, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00,
        ];
        assert_eq!(m.encode(), expected);
    }

    #[test]
    fn refuses_truncated_and_trailing_input() {
        let bytes = sample().encode();
        for cut in [0, 1, 2, 10, bytes.len() - 1] {
            assert!(Message::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(Message::decode(&longer), Err(DecodeError::TrailingBytes(1)));
    }

    #[test]
    fn refuses_indefinite_and_huge_lengths() {
        assert_eq!(
            Message::decode(&[0x30, 0x80, 0, 0]),
            Err(DecodeError::BadLength(1))
        );
        assert!(matches!(
            Message::decode(&[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]),
            Err(DecodeError::Truncated { .. })
        ));
    }

    #[test]
    fn large_oid_arcs_and_big_integers() {
        let o = oid("1.3.6.1.4.1.4294967295.0");
        let m = Message {
            version: VERSION_2C,
            community: vec![],
            pdu: Pdu {
                kind: PduKind::GetBulk,
                request_id: i32::MIN,
                error_status: 0,
                error_index: 50,
                varbinds: vec![VarBind::new(o, Value::Integer(i32::MIN))],
            },
        };
        assert_eq!(Message::decode(&m.encode()), Ok(m));
    }

    fn arb_oid() -> impl Strategy<Value = Oid> {
        (
            0u32..3,
            0u32..40,
            proptest::collection::vec(any::<u32>(), 0..20),
        )
            .prop_map(|(a, b, rest)| {
                let mut arcs = vec![a, b];
                arcs.extend(rest);
                Oid::from_arcs(arcs).unwrap_or_default()
            })
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<i32>().prop_map(Value::Integer),
            proptest::collection::vec(any::<u8>(), 0..300).prop_map(Value::OctetString),
            Just(Value::Null),
            arb_oid().prop_map(Value::ObjectId),
            any::<[u8; 4]>().prop_map(Value::IpAddress),
            any::<u32>().prop_map(Value::Counter32),
            any::<u32>().prop_map(Value::Gauge32),
            any::<u32>().prop_map(Value::TimeTicks),
            any::<u64>().prop_map(Value::Counter64),
            Just(Value::NoSuchInstance),
        ]
    }

    proptest! {
        #[test]
        fn any_message_round_trips(
            community in proptest::collection::vec(any::<u8>(), 0..40),
            request_id in any::<i32>(),
            vbs in proptest::collection::vec((arb_oid(), arb_value()), 0..30),
        ) {
            let m = Message {
                version: VERSION_2C,
                community,
                pdu: Pdu { kind: PduKind::Response, request_id, error_status: 0, error_index: 0,
                    varbinds: vbs.into_iter().map(|(o, v)| VarBind::new(o, v)).collect() },
            };
            prop_assert_eq!(Message::decode(&m.encode()), Ok(m));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = Message::decode(&bytes);
        }

        #[test]
        fn mutated_messages_never_panic(idx in any::<usize>(), byte in any::<u8>(), cut in any::<usize>()) {
            let mut bytes = sample().encode();
            let i = idx % bytes.len();
            bytes[i] = byte;
            let _ = Message::decode(&bytes);
            let c = cut % bytes.len();
            let _ = Message::decode(&bytes[..c]);
        }
    }
}
