import SMTPDiagDNSWire
import SMTPDiagSpec

/// What SMTP sessions plan: for a domain's `smtp` (its family) and for a route.
public enum SMTPPlanning {
    /// The settings a session runs with: what the spec says, the built-in value for the rest.
    public static func sessionSettings(_ s: SMTPSettings) -> SMTPSessionSettings {
        let b = PlanCompiler.Builtin.smtp
        return SMTPSessionSettings(
            port: s.port ?? b.port, helo: s.helo ?? b.helo, mailFrom: s.mailFrom ?? b.mailFrom,
            connectTimeout: s.connectTimeout ?? b.connectTimeout, bannerTimeout: s.bannerTimeout ?? b.bannerTimeout,
            commandTimeout: s.commandTimeout ?? b.commandTimeout, starttls: s.starttls ?? b.starttls,
            tlsVerify: s.tlsVerify ?? b.tlsVerify, tlsCAFile: s.tlsCAFile ?? b.tlsCAFile,
            tlsMinVersion: s.tlsMinVersion ?? b.tlsMinVersion)
    }

    /// The checks of the sessions to `target`: the lookup of its hosts (unless it is an address), then
    /// one check a step (`subject/smtp@HOST:PORT/STEP`), each expanded to every host address when run.
    /// Hosts are found through `resolver` over `transport`.
    public static func sessionChecks(
        subject: CheckID.Subject, zone: DomainName, target: SMTPTarget, settings: SMTPSettings, expect: SMTPExpect,
        location: SourceLocation, resolver: ServerTarget, transport: SpecTransport, tags: [String],
        timeout: Duration, retries: Int, discoveryID: CheckID
    ) -> [Check] {
        var checks: [Check] = []
        let session = Self.sessionSettings(settings)
        let port: Int
        if case .host(let h) = target, let p = h.port { port = p } else { port = session.port }
        let host = Self.endpoint(target, port: port)
        var deps: [CheckID] = []
        var needsResolution = true
        if case .host(let h) = target, case .address = h.host { needsResolution = false }
        if needsResolution {
            let hostsID = CheckID(
                subject, "smtp.hosts", qualifier: Self.hostLabel(target), server: resolver.endpoint,
                transport: transport)
            var hostDeps: [CheckID] = []
            if case .authoritative = resolver { hostDeps = [discoveryID] }
            checks.append(
                Check(
                    id: hostsID,
                    kind: .smtpHosts(domain: zone, target: target, server: resolver, transport: transport),
                    location: location, domain: zone, tags: tags, dependencies: hostDeps, timeout: timeout,
                    retries: retries))
            deps = [hostsID]
        }
        var s = session
        s.port = port
        let plan = SMTPSessionPlan(
            target: target, settings: s, banner: expect.banner?.value ?? .replyClass(2),
            ehlo: expect.ehlo?.value ?? .replyClass(2), extensions: expect.extensions?.value ?? [],
            starttls: expect.starttls?.value ?? (s.starttls == .required ? .exact(220) : nil),
            mailFrom: expect.mailFrom?.value ?? (expect.rcpt.isEmpty ? nil : .replyClass(2)), rcpt: expect.rcpt,
            quit: expect.quit?.value ?? .replyClass(2), resolver: resolver, resolverTransport: transport)
        var steps: [(SMTPStep, SourceLocation)] = [
            (.banner, expect.banner?.location ?? location), (.ehlo, expect.ehlo?.location ?? location),
        ]
        if let e = expect.extensions { steps.append((.extensions, e.location)) }
        if plan.starttls != nil { steps.append((.starttls, expect.starttls?.location ?? location)) }
        if plan.mailFrom != nil { steps.append((.mailFrom, expect.mailFrom?.location ?? location)) }
        for r in expect.rcpt { steps.append((.rcpt(written: r.written, address: r.address), r.location)) }
        steps.append((.quit, expect.quit?.location ?? location))
        for (step, loc) in steps {
            checks.append(
                Check(
                    id: CheckID(subject, "smtp", server: host, step: "\(step)"),
                    kind: .smtp(session: plan, step: step), location: loc,
                    domain: zone, tags: tags, dependencies: deps, timeout: timeout, retries: retries))
        }
        return checks
    }

    /// `mx:25`, `mx1.example.test:25`, `127.0.0.11:25`, `[::1]:25`: the host of SMTP check ids.
    static func endpoint(_ target: SMTPTarget, port: Int) -> Endpoint {
        switch target {
        case .mx: return Endpoint(name: "mx", port: port)
        case .host(let h):
            switch h.host {
            case .name(let n): return Endpoint(name: String(n.description.dropLast()), port: port)
            case .address(let a): return Endpoint(name: nil, address: a, port: port)
            }
        }
    }

    /// `mx`, `mx1.example.test`, `127.0.0.11`, `[::1]`: the host part of SMTP check ids.
    static func hostLabel(_ target: SMTPTarget) -> String {
        switch target {
        case .mx: return "mx"
        case .host(let h):
            switch h.host {
            case .name(let n): return String(n.description.dropLast())
            case .address(let a): return a.contains(":") ? "[\(a)]" : a
            }
        }
    }
}
