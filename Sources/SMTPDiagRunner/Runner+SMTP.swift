import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagPlan
import SMTPDiagSMTP
import SMTPDiagSMTPWire
import SMTPDiagSpec

/// Seconds since 1970 as RFC 3339 UTC (`2026-12-01T15:20:55Z`), without Foundation.
func rfc3339(_ seconds: Int) -> String {
    let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    let secondOfDay = seconds - days * 86_400
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
    let y = String(year)
    return "\(String(repeating: "0", count: max(0, 4 - y.count)))\(y)-\(two(month))-\(two(day))T"
        + "\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):\(two(secondOfDay % 60))Z"
}

extension Runner {
    /// Finds the SMTP hosts of a session: every address of every MX exchange (RFC 5321 §5.1, with the
    /// implicit MX when there is none), or the A/AAAA of a named host.
    @inline(never)
    func smtpHosts(
        _ check: Check, domain: DomainName, target: SMTPTarget, server: ServerTarget, transport: SpecTransport
    )
        async -> CheckResult
    {
        var r = Self.result(check, .error, "")
        guard case .success(let list) = await servers(server), let (_, address) = list.first else {
            r.message = "no DNS server to find the hosts with"
            return r
        }
        var names: [DomainName] = []
        switch target {
        case .host(let h):
            if case .name(let n) = h.host { names = [n] }
        case .mx(let zone):
            let q = Question(name: zone, type: .mx)
            let answer = await ask(q, address, transport, check)
            r.evidence.note(answer, q)
            guard case .ok(let m) = Self.usable(answer) else {
                if case .unusable(let why) = Self.usable(answer) { r.message = why }
                return r
            }
            let mx = exchanges(m, zone: zone)
            if mx.contains(where: \.isNullMX) {
                r.status = .fail
                r.message = "\(zone) has a null MX (RFC 7505): it accepts no mail"
                return r
            }
            if mx.isEmpty {
                if m.rcode == .nxDomain {
                    r.status = .fail
                    r.message = "\(zone) does not exist (NXDOMAIN)"
                    return r
                }
                names = [zone]  // RFC 5321 §5.1: no MX, the domain itself is the implicit MX.
                r.evidence.note("no MX: trying \(zone) itself as the implicit MX (RFC 5321 §5.1)")
            } else {
                names = mx.map(\.exchange)
            }
            guard names.count <= Self.maxNamesPerAnswer else {
                r.message = Self.fanOutProblem(names.count, "MX exchanges for \(zone)")
                return r
            }
        }
        var hosts: [(name: String?, address: String)] = []
        var without: [String] = []
        var problems: [String] = []
        var unresolved: [(name: String, reason: String)] = []
        for name in names {
            let (addresses, problem) = await addresses(
                of: name, at: address, transport, check, evidence: &r.evidence)
            if let problem {
                problems.append("\(name): \(problem)")
                if addresses.isEmpty { unresolved.append((String(name.description.dropLast()), problem)) }
            } else if addresses.isEmpty {
                without.append(name.description)
            }
            for a in addresses { hosts.append((String(name.description.dropLast()), a)) }
        }
        guard hosts.count <= Self.maxAddressesPerTarget else {
            r.message = Self.fanOutProblem(hosts.count, "SMTP host addresses")
            return r
        }
        state.setHosts(check.id, SMTPHostList(found: hosts, unresolved: unresolved))
        r.actual = hosts.map { "\($0.name ?? "")[\($0.address)]" }.joined(separator: ", ")
        r.missing = without
        if !problems.isEmpty {
            // An exchange whose address could not be learned would go untested: the host list is unknown.
            r.status = .error
            r.message =
                "could not learn every SMTP host address: " + problems.joined(separator: "; ")
                + (without.isEmpty ? "" : "; no address for " + without.joined(separator: ", "))
        } else if hosts.isEmpty {
            r.status = .fail
            r.message = "no SMTP host address found: no address for " + without.joined(separator: ", ")
        } else {
            r.status = .pass
            r.message = r.actual ?? ""
            if !without.isEmpty { r.message += " (no address for " + without.joined(separator: ", ") + ")" }
        }
        return r
    }

    /// One step of the session(s) to a host selection: one result per host address.
    @inline(never)
    func smtpStep(_ check: Check, session plan: SMTPSessionPlan, step: SMTPStep) async -> [CheckResult] {
        var targets: [(name: String?, address: String)] = []
        var unresolved: [(name: String, reason: String)] = []
        if case .host(let h) = plan.target, case .address(let a) = h.host {
            targets = [(nil, a)]
        } else if let hostsID = check.dependencies.first, let list = state.hosts(hostsID) {
            targets = list.found
            unresolved = list.unresolved
        }
        guard !targets.isEmpty || !unresolved.isEmpty else {
            return [Self.result(check, .skip, "no SMTP host to connect to")]
        }
        // A host whose address could not be learned: this step could not run there.
        var out: [CheckResult] = unresolved.map { name, reason in
            Self.result(
                check, .error, "the address of \(name) could not be learned: \(reason)",
                id: check.id.at(Endpoint(name: name, port: plan.settings.port)))
        }
        for (name, address) in targets {
            let port = plan.settings.port
            let record = await session(plan, name: name, address: address, port: port)
            var r = Self.result(check, .error, "", id: check.id.at(Endpoint(name: name, address: address, port: port)))
            r.evidence.smtp =
                ["Connecting to \(name ?? address) [\(address)] on port \(port)."]
                + record.transcript.map(\.description)
            if let tls = record.tls {
                r.evidence.tls = [
                    "version": tls.version, "cipher": tls.cipher ?? "not reported", "subject": tls.subject,
                    "issuer": tls.issuer,
                    "subject_alternative_names": tls.subjectAlternativeNames.joined(separator: ", "),
                    "not_valid_before": rfc3339(tls.notValidBefore), "not_valid_after": rfc3339(tls.notValidAfter),
                    "certificate_sha256": tls.certificateSHA256, "spki_sha256": tls.spkiSHA256,
                    "verified": String(tls.verified),
                ]
            }
            Self.judge(step, plan: plan, record: record, into: &r)
            r.duration = Self.stepDuration(step, record)
            out.append(r)
        }
        return out
    }

    func session(_ plan: SMTPSessionPlan, name: String?, address: String, port: Int) async -> SMTPSessionRecord {
        let s = plan.settings
        let recipients = plan.rcpt.map(\.address)
        let sendMail = plan.mailFrom != nil || !recipients.isEmpty
        let key = SessionKey(
            target: plan.target, settings: s, recipients: recipients, mailFrom: sendMail, address: address, port: port,
            name: name)
        let helo = s.helo.isEmpty ? options.defaultHelo : s.helo
        let mode: STARTTLSMode = s.starttls == .required ? .required : (s.starttls == .off ? .off : .optional)
        let configuration = SMTPSessionConfiguration(
            helo: helo, mailFrom: sendMail ? s.mailFrom : nil, recipients: recipients, starttls: mode,
            connectTimeout: s.connectTimeout, bannerTimeout: s.bannerTimeout, commandTimeout: s.commandTimeout,
            sessionTimeout: s.connectTimeout + s.bannerTimeout + s.commandTimeout * (6 + recipients.count))
        let tls = SMTPTLSSettings(
            verify: s.tlsVerify, caFile: s.tlsCAFile,
            minimumVersion: SMTPTLSVersion(rawValue: s.tlsMinVersion) ?? .tls12)
        let probe = smtp
        let record = await sessions.value(key) {
            await probe.session(address: address, port: port, serverName: name, configuration: configuration, tls: tls)
        }
        if record.failure == .cancelled { Self.interruption?.note() }
        return record
    }

    /// Judges one step against the session record.
    static func judge(_ step: SMTPStep, plan: SMTPSessionPlan, record: SMTPSessionRecord, into r: inout CheckResult) {
        let stop = earlyStop(plan: plan, record: record)
        func reply(_ got: SMTPReply?, _ e: ReplyExpectation?) {
            guard let e else {
                r.status = .pass
                r.message = got.map { "\($0.code) \($0.text)" } ?? "not sent"
                return
            }
            r.expected = e.description
            guard let got else { return notReached() }
            let v = Matchers.reply(got, e)
            r.status = v.pass ? .pass : .fail
            r.message = v.message
            r.actual = v.actual
        }
        /// A step the spec expects that the session never reached: an error when the session broke off
        /// (timeout, TLS, closed), a failure when an unexpected reply ended it, and a skip only when the
        /// check of that reply already fails. Never a pass, never a silent skip.
        func notReached() {
            if let f = record.failure {
                r.status = .error
                r.message = "\(f)"
            } else if let stop {
                r.status = stop.judgedElsewhere ? .skip : .fail
                r.message = "not reached: \(stop.reason)"
            } else {
                r.status = .error
                r.message = "not reached: the session ended before this step"
            }
        }
        switch step {
        case .banner:
            reply(record.banner, plan.banner)
        case .ehlo:
            reply(record.ehlo, plan.ehlo)
            if record.heloFallback, let h = record.helo {
                r.message += " (EHLO refused; HELO fallback answered \(h.code))"
            }
            // The EHLO after TLS is the same expectation (RFC 3207 §4.2: the client must greet again).
            if r.status == .pass, let e = plan.ehlo, let after = record.ehloAfterTLS {
                let v = Matchers.reply(after, e)
                if !v.pass {
                    r.status = .fail
                    r.message = "EHLO after TLS: " + v.message
                    r.actual = v.actual
                }
            }
        case .extensions:
            // Judged on what holds for the session (inside TLS when TLS was used); STARTTLS, only ever offered
            // before TLS (RFC 3207 §4.2), on the first EHLO. Both lists are reported.
            let after = Set(record.extensions)
            let before = Set(record.extensionsBeforeTLS)
            r.expected = plan.extensions.joined(separator: ", ")
            if record.tls != nil, record.ehloAfterTLS != nil {
                r.actual =
                    "before TLS: \(record.extensionsBeforeTLS.joined(separator: ", ")); "
                    + "after TLS: \(record.extensions.joined(separator: ", "))"
            } else {
                r.actual = record.extensions.joined(separator: ", ")
            }
            if record.ehlo == nil && record.ehloAfterTLS == nil { return notReached() }
            r.missing = plan.extensions.filter { $0 == "STARTTLS" ? !before.contains($0) : !after.contains($0) }
            r.status = r.missing.isEmpty ? .pass : .fail
            r.message =
                r.missing.isEmpty
                ? "advertised: \(r.actual ?? "")" : "not advertised: " + r.missing.joined(separator: ", ")
        case .starttls:
            // EHLO succeeded without offering STARTTLS, so it was never sent: the expectation fails.
            if record.starttls == nil, let ehlo = record.ehlo, ehlo.code / 100 == 2,
                !ehlo.ehloKeywords.contains("STARTTLS")
            {
                r.status = .fail
                r.expected = plan.starttls?.description
                r.message = "STARTTLS is not offered"
                return
            }
            reply(record.starttls, plan.starttls)
            if r.status == .pass, record.starttls?.code == 220 {
                if let tls = record.tls {
                    r.message =
                        "\(tls.version), \(tls.subject), issued by \(tls.issuer)"
                        + (tls.verified ? ", verified" : ", not verified")
                } else if case .tlsFailed(let why) = record.failure {
                    // The handshake is part of what `starttls:` asserts.
                    r.status = .fail
                    r.message = "TLS handshake failed: \(why)"
                    r.actual = "\(record.starttls?.code ?? 220), then the TLS handshake failed"
                }
            }
        case .mailFrom:
            reply(record.mailFrom, plan.mailFrom)
        case .rcpt(_, let address):
            let e = plan.rcpt.first { $0.address == address }?.reply
            reply(record.rcptReply(address), e)
        case .quit:
            reply(record.quit, plan.quit)
        }
    }

    /// How long one step took: from its command to the reply (the banner: from the connection), read off the
    /// transcript's times; zero for a step never sent.
    static func stepDuration(_ step: SMTPStep, _ record: SMTPSessionRecord) -> Duration {
        let lines = record.transcript
        let start: Int?
        switch step {
        case .banner: start = lines.firstIndex { $0.direction == .info }
        case .ehlo, .extensions: start = lines.firstIndex { $0.direction == .sent && $0.text.hasPrefix("EHLO ") }
        case .starttls: start = lines.firstIndex { $0.direction == .sent && $0.text == "STARTTLS" }
        case .mailFrom: start = lines.firstIndex { $0.direction == .sent && $0.text.hasPrefix("MAIL FROM:") }
        case .rcpt(_, let address):
            start = lines.firstIndex { $0.direction == .sent && $0.text == "RCPT TO:<\(address)>" }
        case .quit: start = lines.firstIndex { $0.direction == .sent && $0.text == "QUIT" }
        }
        guard let s = start else { return .zero }
        let end = lines[(s + 1)...].first { $0.direction == .received }?.at ?? lines.last?.at ?? lines[s].at
        return max(.zero, end - lines[s].at)
    }

    /// The reply that ended a session before its last step, and whether a check of this session already
    /// fails on it (then the steps after it are skipped; otherwise they fail, so that a refusal nobody
    /// asserted can never leave a run green).
    static func earlyStop(plan: SMTPSessionPlan, record: SMTPSessionRecord) -> (reason: String, judgedElsewhere: Bool)?
    {
        func fails(_ reply: SMTPReply, _ e: ReplyExpectation?) -> Bool {
            guard let e else { return false }
            return !Matchers.reply(reply, e).pass
        }
        func refused(_ reply: SMTPReply?) -> SMTPReply? {
            guard let reply, reply.code / 100 != 2 else { return nil }
            return reply
        }
        if let b = refused(record.banner) { return ("the banner was \(b.code) \(b.text)", fails(b, plan.banner)) }
        if let e = refused(record.ehlo), !record.heloFallback {
            return ("EHLO got \(e.code) \(e.text)", fails(e, plan.ehlo))
        }
        if record.heloFallback, let h = refused(record.helo) {
            return ("HELO got \(h.code) \(h.text)", record.ehlo.map { fails($0, plan.ehlo) } ?? false)
        }
        if let t = record.starttls, t.code == 421 {
            return ("STARTTLS got \(t.code) \(t.text)", fails(t, plan.starttls))
        }
        if let e = refused(record.ehloAfterTLS) {
            return ("EHLO after TLS got \(e.code) \(e.text)", fails(e, plan.ehlo))
        }
        if let m = refused(record.mailFrom) { return ("MAIL FROM got \(m.code) \(m.text)", fails(m, plan.mailFrom)) }
        if let (address, reply) = record.rcpt.last, reply.code == 421 {
            let e = plan.rcpt.first { $0.address == address }?.reply
            return ("RCPT TO:<\(address)> got 421 \(reply.text)", fails(reply, e))
        }
        if let rset = record.rsetRefusal { return ("RSET got \(rset.code) \(rset.text)", false) }
        return nil
    }
}
