import SMTPDiagDNSWire

/// Writes a spec file that `SpecLoader` reads back into what was written (`init` writes its specs with it). Every
/// text from the network is written as a YAML double-quoted string with `${` as `$${` (a spec reads it as text,
/// never as a variable), and every comment made of server text is escaped so that it cannot end its line.
public struct SpecWriter: Sendable {
    /// Reply codes seen: one is written `250`, several `[250, 251]`; none is not pinned.
    public typealias Codes = [Int]

    public struct SMTP: Sendable {
        public var helo: String
        /// The CA file as the spec names it (relative to the spec's folder); nil writes `tls_verify: false`.
        public var tlsCAFile: String?
        /// The TLS handshake failed: `starttls: off`, so that the spec does not pin it as working.
        public var starttlsOff = false
        /// Comment lines (what went wrong, per host).
        public var notes: [String] = []
        public var banner: Codes = []
        public var ehlo: Codes = []
        public var extensions: [String] = []
        public var starttls: Codes = []
        public var mailFrom: Codes = []
        /// What `RCPT TO:<postmaster@domain>` got.
        public var postmaster: Codes = []
        public var quit: Codes = []

        public init(helo: String, tlsCAFile: String?) {
            self.helo = helo
            self.tlsCAFile = tlsCAFile
        }
    }

    public struct Domain: Sendable {
        public var name: DomainName
        /// The `dns_servers` name it is asked at.
        public var server: String
        /// A UDP answer was truncated: the domain is checked over TCP only.
        public var tcpOnly = false
        public var mname: DomainName
        public var rname: DomainName
        /// Written as the serial's minimum (a serial only grows).
        public var serial: UInt32
        public var ns: [DomainName] = []
        /// MX records, in presentation form (`10 mx1.example.test.`).
        public var mx: [String] = []
        /// Exchanges without an address: `mx_resolves: false`, naming them.
        public var unresolvedMX: [String] = []
        /// TXT at the apex and at `_dmarc`, as their text.
        public var txt: [String] = []
        public var dmarc: [String] = []
        /// TLSA sets, by owner, in presentation form.
        public var tlsa: [(owner: DomainName, values: [String])] = []
        public var smtp: SMTP?
        /// A comment in place of `smtp` (no host to talk to).
        public var smtpNote: String?

        public init(name: DomainName, server: String, mname: DomainName, rname: DomainName, serial: UInt32) {
            self.name = name
            self.server = server
            self.mname = mname
            self.rname = rname
            self.serial = serial
        }
    }

    /// Comment lines at the top (after the schema line).
    public var header: [String] = []
    /// A `yaml-language-server` schema path, relative to the spec.
    public var schema: String?
    public var servers: [(name: String, address: String, note: String)] = []
    public var domains: [Domain] = []

    public init() {}

    /// A YAML string holding text from the network, read back as that text.
    public static func quote(_ s: String) -> String { yamlDoubleQuoted(s).replacingOccurrences(of: "${", with: "$${") }

    /// Text from a server as (part of) a comment: escaped, so that it cannot end the line.
    public static func comment(_ s: String) -> String { terminalSafe(s) }

    static func codes(_ c: Codes) -> String {
        c.count == 1 ? "\(c[0])" : "[" + c.map(String.init).joined(separator: ", ") + "]"
    }

    public func yaml() -> String {
        var y: [String] = []
        if let schema { y.append("# yaml-language-server: $schema=\(schema)") }
        y += header.map { "# " + Self.comment($0) }
        y.append("version: 1")
        if !servers.isEmpty {
            y.append("dns_servers:")
            for s in servers {
                y.append(
                    "  \(s.name): \(Self.quote(s.address))" + (s.note.isEmpty ? "" : "   # \(Self.comment(s.note))"))
            }
        }
        y.append("domains:")
        for d in domains { y += domain(d) }
        return y.joined(separator: "\n") + "\n"
    }

    func domain(_ d: Domain) -> [String] {
        var y = ["  \(String(d.name.description.dropLast())):"]
        if d.tcpOnly {
            y.append("    # A UDP answer was truncated (over 1232 octets): TCP only, or the UDP checks error.")
            y.append("    dns: { servers: [\(d.server)], transports: [tcp] }")
        } else {
            y.append("    dns: { servers: [\(d.server)], transports: [udp, tcp] }")
        }
        y.append("    soa:")
        y.append("      mname: \(Self.quote(d.mname.description))")
        y.append("      rname: \(Self.quote(d.rname.description))")
        y.append("      serial: { min: \(d.serial) }   # today's serial; it only grows")
        if !d.ns.isEmpty {
            y.append("    ns: [" + d.ns.map { Self.quote($0.description) }.joined(separator: ", ") + "]")
        }
        if !d.mx.isEmpty {
            y.append("    mx: [" + d.mx.map(Self.quote).joined(separator: ", ") + "]")
            if !d.unresolvedMX.isEmpty {
                y.append(
                    "    mx_resolves: false   # today \(Self.comment(d.unresolvedMX.joined(separator: ", "))) has no "
                        + "address: fix it, then set true")
            }
        } else {
            y.append("    # No MX record: mail goes to the domain's own address (RFC 5321 §5.1). Pin it with:")
            y.append("    # mx: { absent: true }")
        }
        var records: [String] = []
        func record(_ name: String, _ type: String, _ values: [String]) {
            records.append(
                "      - { name: \(name), type: \(type), equals: [" + values.map(Self.quote).joined(separator: ", ")
                    + "] }")
        }
        if !d.txt.isEmpty { record("\"@\"", "TXT", d.txt) }
        if !d.dmarc.isEmpty { record("_dmarc", "TXT", d.dmarc) }
        for (owner, values) in d.tlsa { record(Self.quote(owner.description), "TLSA", values) }
        if !records.isEmpty { y += ["    records:"] + records }
        if let s = d.smtp {
            y += smtp(s)
        } else if let note = d.smtpNote {
            y.append("    # \(Self.comment(note))")
        }
        return y
    }

    func smtp(_ s: SMTP) -> [String] {
        var y = ["    smtp:", "      hosts: mx", "      helo: \(Self.quote(s.helo))   # as init greeted"]
        if let ca = s.tlsCAFile {
            y.append("      tls_ca_file: \(Self.quote(ca))")
        } else {
            y.append("      tls_verify: false   # no CA given to init; set tls_ca_file or trust the system roots")
        }
        if s.starttlsOff {
            y.append("      starttls: off   # the TLS handshake failed at init (below); fix it, then remove this line")
        }
        y += s.notes.map { "      # " + Self.comment($0) }
        y.append("      expect:")
        func pin(_ key: String, _ c: Codes) { if !c.isEmpty { y.append("        \(key): \(Self.codes(c))") } }
        pin("banner", s.banner)
        pin("ehlo", s.ehlo)
        if !s.extensions.isEmpty {
            // Plain keywords as themselves, anything else quoted.
            let plain = { (k: String) in
                !k.isEmpty && k.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            }
            y.append(
                "        extensions: [" + s.extensions.map { plain($0) ? $0 : Self.quote($0) }.joined(separator: ", ")
                    + "]")
        }
        pin("starttls", s.starttls)
        pin("mail_from", s.mailFrom)
        if !s.postmaster.isEmpty {
            y.append("        rcpt:")
            y.append(
                "          postmaster: \(Self.codes(s.postmaster))   # RFC 5321 §4.5.1: every domain must accept postmaster"
            )
        }
        pin("quit", s.quit)
        return y
    }
}
