//! Tickets on paper: a thermal printer spoken to in ESC/POS (the `escpos` crate), on the network
//! (raw TCP, port 9100) or on USB (Linux's usblp device file), and the cash drawer wired to it.
//! A printer that is off, unplugged or out of paper is said in words; the sale is never touched
//! (its ticket can be printed again from Sales).

pub mod ticket;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Mutex;
use std::time::Duration;

use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::printer_options::PrinterOptions;
use escpos::utils::{JustifyMode, PageCode, Protocol};
use serde::Serialize;

use crate::settings::{PrinterKind, PrinterSettings};
pub use ticket::{Align, Line, Ticket};

const CONNECT: Duration = Duration::from_secs(3);
const WRITE: Duration = Duration::from_secs(5);
/// A printer that does not answer the paper question this soon is asked nothing more.
const STATUS: Duration = Duration::from_millis(800);

/// Why nothing came out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum PrintError {
    #[error("no ticket printer is set up (Settings → Printer)")]
    NotSetUp,
    #[error("the printer at {address} does not answer: is it on and on the network? ({detail})")]
    Unreachable { address: String, detail: String },
    #[error("the printer at {device} is not there: is it plugged in and on? ({detail})")]
    Unplugged { device: String, detail: String },
    #[error("this user may not use the printer at {device}: add it to the lp group ({detail})")]
    NotAllowed { device: String, detail: String },
    #[error("the printer is out of paper")]
    NoPaper,
    #[error("the printer stopped answering while printing ({detail})")]
    Interrupted { detail: String },
}

/// What goes to the printer in one go.
#[derive(Debug, Clone, Default)]
pub struct Job {
    pub ticket: Option<Ticket>,
    /// Opens the cash drawer wired to the printer (after the ticket, if any).
    pub open_drawer: bool,
}

/// The printer's connection, for the escpos crate's printer: its own timeouts, so a printer that
/// never answers costs seconds, not the counter.
struct Port {
    io: Mutex<Box<dyn ReadWrite>>,
    name: String,
}

trait ReadWrite: Read + Write + Send {}
impl<T: Read + Write + Send> ReadWrite for T {}

impl Driver for Port {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        let mut io = self.io.lock().unwrap_or_else(|e| e.into_inner());
        io.write_all(data)
            .map_err(|e| escpos::errors::PrinterError::Io(e.to_string()))
    }

    fn read(&self, buf: &mut [u8]) -> escpos::errors::Result<usize> {
        let mut io = self.io.lock().unwrap_or_else(|e| e.into_inner());
        io.read(buf)
            .map_err(|e| escpos::errors::PrinterError::Io(e.to_string()))
    }

    fn flush(&self) -> escpos::errors::Result<()> {
        let mut io = self.io.lock().unwrap_or_else(|e| e.into_inner());
        io.flush().map_err(|e| escpos::errors::PrinterError::Io(e.to_string()))
    }
}

/// An address as the settings take it: an IP address or a host name, with a port or not.
pub fn address_is_valid(address: &str) -> bool {
    let a = address.trim();
    let (host, port) = match a.rsplit_once(':') {
        Some((h, p)) if a.parse::<std::net::IpAddr>().is_err() => (h.trim_matches(['[', ']']), Some(p)),
        _ => (a, None),
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    let host_ok = host.parse::<std::net::IpAddr>().is_ok()
        || (!host.is_empty()
            && host.len() <= 253
            && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'));
    port_ok && host_ok
}

/// `192.168.0.50` or `192.168.0.50:9100` (or a name the PC resolves).
fn network_address(address: &str) -> Result<SocketAddr, PrintError> {
    let a = address.trim();
    let unreachable = |detail: String| PrintError::Unreachable {
        address: a.to_owned(),
        detail,
    };
    if a.is_empty() {
        return Err(PrintError::NotSetUp);
    }
    let with_port = if a.parse::<std::net::IpAddr>().is_ok() || !a.contains(':') {
        format!("{a}:9100")
    } else {
        a.to_owned()
    };
    with_port
        .to_socket_addrs()
        .map_err(|e| unreachable(e.to_string()))?
        .next()
        .ok_or_else(|| unreachable("no such address".into()))
}

fn open(settings: &PrinterSettings) -> Result<(Port, bool), PrintError> {
    match settings.kind {
        PrinterKind::Dialog => Err(PrintError::NotSetUp),
        PrinterKind::Network => {
            let addr = network_address(&settings.address)?;
            let unreachable = |e: std::io::Error| PrintError::Unreachable {
                address: settings.address.trim().to_owned(),
                detail: e.to_string(),
            };
            let stream = TcpStream::connect_timeout(&addr, CONNECT).map_err(unreachable)?;
            stream.set_write_timeout(Some(WRITE)).map_err(unreachable)?;
            stream.set_read_timeout(Some(STATUS)).map_err(unreachable)?;
            stream.set_nodelay(true).map_err(unreachable)?;
            let port = Port {
                io: Mutex::new(Box::new(stream)),
                name: format!("network {addr}"),
            };
            Ok((port, true))
        }
        PrinterKind::Usb => {
            let device = settings.device.trim();
            if device.is_empty() {
                return Err(PrintError::NotSetUp);
            }
            let file = std::fs::OpenOptions::new().write(true).open(device).map_err(|e| {
                let (device, detail) = (device.to_owned(), e.to_string());
                match e.kind() {
                    std::io::ErrorKind::PermissionDenied => PrintError::NotAllowed { device, detail },
                    _ => PrintError::Unplugged { device, detail },
                }
            })?;
            // A device file that only writes: the paper is not asked about (a read could wait).
            let port = Port {
                io: Mutex::new(Box::new(WriteOnly(file))),
                name: format!("usb {device}"),
            };
            Ok((port, false))
        }
    }
}

/// A USB device file, written to only.
struct WriteOnly(std::fs::File);

impl Read for WriteOnly {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        Ok(0)
    }
}

impl Write for WriteOnly {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// The drawer kick, with its timings.
pub const DRAWER_PULSE: [u8; 5] = [0x1B, b'p', 0, 25, 250];

/// DLE EOT 4: the roll paper sensor. A valid answer is `0xx1xx10`; bits 5 and 6 set mean the
/// paper has run out. No answer, or another one: not known, printed anyway.
const PAPER_STATUS: [u8; 3] = [0x10, 0x04, 0x04];

fn out_of_paper(port: &Port) -> bool {
    if Driver::write(port, &PAPER_STATUS).is_err() {
        return false;
    }
    let mut answer = [0u8; 1];
    match Driver::read(port, &mut answer) {
        Ok(1) => {
            let b = answer[0];
            let valid = b & 0b1001_0011 == 0b0001_0010;
            valid && b & 0b0110_0000 != 0
        }
        _ => false,
    }
}

/// Sends a job to the printer in the settings and waits until it is written. Blocking: call it
/// off the window's thread.
pub fn print(settings: &PrinterSettings, job: &Job) -> Result<(), PrintError> {
    let (port, asks_paper) = open(settings)?;
    if asks_paper && job.ticket.is_some() && out_of_paper(&port) {
        return Err(PrintError::NoPaper);
    }
    let columns = ticket::columns(settings.paper_mm);
    let options = PrinterOptions::new(Some(PageCode::PC858), None, columns as u8);
    let mut printer = Printer::new(port, Protocol::default(), Some(options));
    let interrupted = |e: escpos::errors::PrinterError| PrintError::Interrupted { detail: e.to_string() };
    printer.init().map_err(interrupted)?;
    if let Some(t) = &job.ticket {
        render(&mut printer, t).map_err(interrupted)?;
    }
    if job.open_drawer {
        // ESC p 0 25 250: a pulse on pin 2, 50 ms on and 500 ms off, in full (the crate's
        // command leaves the two timings to whatever bytes come next).
        printer.custom(&DRAWER_PULSE).map_err(interrupted)?;
    }
    printer.print().map_err(interrupted)?;
    Ok(())
}

/// The letters beyond ASCII a ticket in Spanish or Portuguese uses, all in the printer's code
/// page (PC858, the Latin one with ñ, ç, ã and €); any other prints as `?`.
const LATIN: &str = "áéíóúÁÉÍÓÚñÑçÇãõÃÕâêôÂÊÔàÀüÜ¡¿×ºª°€";

fn render<D: Driver>(p: &mut Printer<D>, t: &Ticket) -> escpos::errors::Result<()> {
    p.page_code(PageCode::PC858)?;
    for line in &t.lines {
        p.justify(match line.align {
            Align::Left => JustifyMode::LEFT,
            Align::Center => JustifyMode::CENTER,
        })?;
        p.bold(line.bold)?;
        p.size(1, if line.tall { 2 } else { 1 })?;
        // ASCII goes as it is (the crate's table would turn `-` into the code page's soft
        // hyphen); the letters beyond it through the crate's code page.
        let mut ascii = String::new();
        for c in line.text.chars() {
            if c.is_ascii() && !c.is_ascii_control() {
                ascii.push(c);
                continue;
            }
            if !ascii.is_empty() {
                p.custom(std::mem::take(&mut ascii).as_bytes())?;
            }
            match LATIN.contains(c) {
                true => p.write(&c.to_string())?,
                false => p.custom(b"?")?,
            };
        }
        if !ascii.is_empty() {
            p.custom(ascii.as_bytes())?;
        }
        p.feed()?;
    }
    p.size(1, 1)?.bold(false)?.justify(JustifyMode::LEFT)?;
    p.feeds(4)?;
    p.cut()?;
    Ok(())
}
