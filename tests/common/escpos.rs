//! A thermal printer on loopback for the tests: it listens on TCP like a network ESC/POS printer
//! (port 9100 on a real one), answers the paper-sensor question (DLE EOT 4) with paper or without,
//! and keeps what each connection sent, parsed into the lines it would print, its cuts and its
//! cash-drawer kicks.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub struct FakePrinter {
    pub addr: SocketAddr,
    jobs: Arc<Mutex<Vec<Vec<u8>>>>,
    paper: Arc<AtomicBool>,
}

/// What one connection printed.
#[derive(Debug, Default, Clone)]
pub struct Printout {
    pub lines: Vec<String>,
    /// The lines printed bold, and double height.
    pub bold: Vec<String>,
    pub tall: Vec<String>,
    pub cuts: usize,
    pub drawer_kicks: usize,
    pub asked_for_paper: bool,
    /// Whether the drawer was kicked after the last cut (the ticket first, then the drawer).
    pub kick_after_cut: bool,
}

impl Printout {
    fn push_line(&mut self, text: String, bold: bool, tall: bool) {
        if bold {
            self.bold.push(text.clone());
        }
        if tall {
            self.tall.push(text.clone());
        }
        self.lines.push(text);
    }

    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    pub fn has_line(&self, pred: impl Fn(&str) -> bool) -> bool {
        self.lines.iter().any(|l| pred(l))
    }
}

impl FakePrinter {
    pub fn start() -> FakePrinter {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let jobs: Arc<Mutex<Vec<Vec<u8>>>> = Default::default();
        let paper = Arc::new(AtomicBool::new(true));
        let (j, p) = (jobs.clone(), paper.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let (j, p) = (j.clone(), p.clone());
                std::thread::spawn(move || {
                    let mut all = Vec::new();
                    let mut buf = [0u8; 4096];
                    while let Ok(n) = stream.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        let before = all.len();
                        all.extend_from_slice(&buf[..n]);
                        // DLE EOT 4: roll paper sensor; 0x12 paper present, 0x72 paper end.
                        let start = before.saturating_sub(2);
                        if all[start..].windows(3).any(|w| w == [0x10, 0x04, 0x04]) {
                            let answer = if p.load(Ordering::SeqCst) { 0x12 } else { 0x72 };
                            let _ = stream.write_all(&[answer]);
                        }
                    }
                    j.lock().unwrap().push(all);
                });
            }
        });
        FakePrinter { addr, jobs, paper }
    }

    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    pub fn set_paper(&self, present: bool) {
        self.paper.store(present, Ordering::SeqCst);
    }

    /// What each finished connection printed, in order.
    pub fn printouts(&self) -> Vec<Printout> {
        let decode = code_page();
        self.jobs.lock().unwrap().iter().map(|b| parse(b, &decode)).collect()
    }

    /// Waits (up to 10 s) until `n` connections have ended.
    pub fn wait_for(&self, n: usize) -> Vec<Printout> {
        for _ in 0..200 {
            if self.jobs.lock().unwrap().len() >= n {
                return self.printouts();
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the printer received {} jobs, not {n}", self.jobs.lock().unwrap().len());
    }
}

/// The bytes of PC858 (the Latin code page the app selects) for the letters a ticket in Spanish
/// or Portuguese uses, as the escpos crate itself writes them.
fn code_page() -> HashMap<u8, char> {
    use escpos::printer::Printer;
    use escpos::printer_options::PrinterOptions;
    use escpos::utils::{PageCode, Protocol};
    struct Capture(Arc<Mutex<Vec<u8>>>);
    impl escpos::driver::Driver for Capture {
        fn name(&self) -> String {
            "capture".into()
        }
        fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
            self.0.lock().unwrap().extend_from_slice(data);
            Ok(())
        }
        fn read(&self, _: &mut [u8]) -> escpos::errors::Result<usize> {
            Ok(0)
        }
        fn flush(&self) -> escpos::errors::Result<()> {
            Ok(())
        }
    }
    let mut map = HashMap::new();
    for c in "áéíóúÁÉÍÓÚñÑçÇãõÃÕâêôÂÊÔàüÜ¡¿×ºª°€".chars() {
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let options = PrinterOptions::new(Some(PageCode::PC858), None, 48);
        let mut p = Printer::new(Capture(bytes.clone()), Protocol::default(), Some(options));
        p.write(&c.to_string()).unwrap().print().unwrap();
        let b = bytes.lock().unwrap();
        if let Some(last) = b.last() {
            map.insert(*last, c);
        }
    }
    map
}

fn parse(bytes: &[u8], decode: &HashMap<u8, char>) -> Printout {
    let mut out = Printout::default();
    let mut line = String::new();
    let (mut bold, mut tall) = (false, false);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let arg = |k: usize| bytes.get(i + k).copied().unwrap_or(0);
        match b {
            0x1B => {
                match arg(1) {
                    b'@' => i += 2,
                    b'E' => {
                        bold = arg(2) == 1;
                        i += 3
                    }
                    b'p' => {
                        out.drawer_kicks += 1;
                        out.kick_after_cut = out.cuts > 0;
                        i += 5
                    }
                    // ESC d n: print the line and feed n lines (what writeln ends with).
                    b'd' => {
                        if !line.is_empty() || arg(2) == 1 {
                            let text = std::mem::take(&mut line);
                            out.push_line(text, bold, tall);
                        }
                        i += 3
                    }
                    b't' | b'a' | b'-' | b'G' | b'M' | b'{' => i += 3,
                    _ => i += 2,
                }
            }
            0x1D => match arg(1) {
                b'!' => {
                    tall = arg(2) & 0x0F > 0;
                    i += 3
                }
                b'V' => {
                    out.cuts += 1;
                    i += if arg(2) == b'A' || arg(2) == b'B' { 4 } else { 3 }
                }
                _ => i += 3,
            },
            0x10 => {
                if arg(1) == 0x04 {
                    out.asked_for_paper = true;
                }
                i += 3
            }
            b'\n' => {
                let text = std::mem::take(&mut line);
                out.push_line(text, bold, tall);
                i += 1
            }
            _ => {
                line.push(if b < 0x80 {
                    char::from(b)
                } else {
                    decode.get(&b).copied().unwrap_or('?')
                });
                i += 1
            }
        }
    }
    out
}
