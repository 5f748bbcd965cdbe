//! A minimal HTTP/1.1 client and message reader over plain TCP, for loopback test back
//! ends only: control APIs of emulators, readiness probes, and the fault proxy. Blocking;
//! one request per connection (`Connection: close`).

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// An HTTP message as read from a stream: the start line, the headers and the body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// `GET /path HTTP/1.1` or `HTTP/1.1 200 OK`.
    pub start: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Message {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The status of a response (`0` when the start line is not a status line).
    pub fn status(&self) -> u16 {
        self.start
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The message as bytes, with `Content-Length` set to the body's length and any
    /// `Transfer-Encoding` dropped (the body is already decoded).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{}\r\n", self.start).into_bytes();
        for (name, value) in &self.headers {
            if name.eq_ignore_ascii_case("content-length")
                || name.eq_ignore_ascii_case("transfer-encoding")
            {
                continue;
            }
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", self.body.len()).as_bytes());
        out.extend_from_slice(&self.body);
        out
    }
}

/// Reads one message; `Ok(None)` when the stream ends before a start line (the peer
/// closed a kept-alive connection). `until_close`: a response without length reads to
/// the end of the stream.
pub fn read_message(reader: &mut impl BufRead, until_close: bool) -> io::Result<Option<Message>> {
    let mut start = String::new();
    loop {
        start.clear();
        if reader.read_line(&mut start)? == 0 {
            return Ok(None);
        }
        if !start.trim().is_empty() {
            break;
        }
    }
    let mut message = Message {
        start: start.trim_end().to_owned(),
        ..Message::default()
    };
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            message
                .headers
                .push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let chunked = message
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"));
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            if size == 0 {
                let mut trailer = String::new();
                while reader.read_line(&mut trailer)? > 2 {
                    trailer.clear();
                }
                break;
            }
            let mut chunk = vec![0; size];
            reader.read_exact(&mut chunk)?;
            message.body.extend_from_slice(&chunk);
            let mut crlf = String::new();
            reader.read_line(&mut crlf)?;
        }
    } else if let Some(length) = message.header("content-length") {
        let length: usize = length
            .parse()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        message.body = vec![0; length];
        reader.read_exact(&mut message.body)?;
    } else if until_close {
        reader.read_to_end(&mut message.body)?;
    }
    Ok(Some(message))
}

/// Sends `method path` with `body` (JSON when not empty) to `127.0.0.1:port` and reads the
/// answer.
pub fn request(port: u16, method: &str, path: &str, body: &str) -> io::Result<Message> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut reader = BufReader::new(stream);
    read_message(&mut reader, true)?
        .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "no answer"))
}

/// The port of a `http://127.0.0.1:PORT` URL.
pub fn port_of(url: &str) -> Option<u16> {
    url.rsplit(':').next()?.trim_end_matches('/').parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lengths_and_chunks() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        let message = read_message(&mut &raw[..], false).ok().flatten();
        assert_eq!(message.as_ref().map(Message::status), Some(200));
        assert_eq!(message.map(|m| m.text()).as_deref(), Some("hello"));

        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let message = read_message(&mut &raw[..], false).ok().flatten();
        assert_eq!(message.map(|m| m.text()).as_deref(), Some("abcde"));
        assert!(matches!(read_message(&mut &b""[..], false), Ok(None)));
    }

    #[test]
    fn messages_serialise_with_their_length() {
        let message = Message {
            start: "HTTP/1.1 503 Service Unavailable".into(),
            headers: vec![("Retry-After".into(), "1".into())],
            body: b"busy".to_vec(),
        };
        assert_eq!(
            String::from_utf8_lossy(&message.to_bytes()),
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 4\r\n\r\nbusy"
        );
        assert_eq!(port_of("http://127.0.0.1:5000"), Some(5000));
    }
}
