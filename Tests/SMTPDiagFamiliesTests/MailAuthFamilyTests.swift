import Foundation
import SMTPDiagDNS
import SMTPDiagDNSWire
import SMTPDiagFamilies
import SMTPDiagMailAuth
import SMTPDiagPlan
import SMTPDiagRunner
import SMTPDiagSpec
import SMTPDiagTestSupport
import Testing

/// `dkim`, `tls_rpt` and DMARC's discovery, location and report authorisation through `run`, against the lab's
/// mailauth.test and reports.test zones (NSD and Knot, UDP).
@Suite("DKIM, TLS-RPT and DMARC discovery", .enabled(if: TestLab.enabled, Comment(rawValue: TestLab.skipReason)))
struct MailAuthFamilyTests {
    /// Results by id without the server and transport; each must agree between NSD and Knot.
    static func run(_ domains: String) async throws -> [String: CheckResult] {
        let yaml = """
            version: 1
            dns_servers: { nsd: 127.0.0.10, knot: 127.0.0.12 }
            defaults: { dns: { servers: [nsd, knot], transports: [udp] } }
            domains:
            \(domains)
            """
        let loaded = SpecLoader(environment: [:], families: Families.builtin.spec).load(
            data: Data(yaml.utf8), path: "mailauth.yaml")
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        let plan = PlanCompiler(families: Families.builtin.plan).compile(loaded.files).plan
        var options = RunOptions()
        options.families = Families.builtin
        // No rules: every name's suffix is its last label (the list's `*` rule), as for .test in any list.
        options.probes[PublicSuffixList.self] = PublicSuffixList(text: "")
        let client = DNSClient()
        let (results, _) = await Runner(dns: LiveDNSProbe(client: client), smtp: NoSMTP(), options: options).run(plan)
        await client.shutdown()
        var out: [String: CheckResult] = [:]
        for r in results {
            let key = r.id.rawValue.replacingOccurrences(of: "@nsd[127.0.0.10]/udp", with: "")
                .replacingOccurrences(of: "@knot[127.0.0.12]/udp", with: "")
            if let other = out[key] {
                #expect(other.status == r.status && other.message == r.message, "\(key): NSD and Knot differ")
            }
            out[key] = r
        }
        return out
    }

    static func expect(_ r: [String: CheckResult], _ id: String, _ status: CheckStatus, _ text: String = "") {
        #expect(r[id]?.status == status, "\(id): \(r[id]?.message ?? "missing")")
        #expect(r[id]?.message.contains(text) == true, "\(id): \(r[id]?.message ?? "missing")")
    }

    @Test func dkimKeys() async throws {
        let r = try await Self.run(
            """
              mailauth.test:
                dkim:
                  selectors:
                    s2025: { valid: true, key_type: rsa, min_bits: 2048, testing: false }
                    pkcs1: { valid: true, min_bits: 2048 }
                    weak: { valid: true }
                    old2019: { revoked: true }
                    ed: { valid: true, key_type: ed25519, min_bits: 2048 }
                    edspki: { valid: true }
                    testing: { testing: true, revoked: false }
                    missing: { valid: true }
            """)
        Self.expect(r, "mailauth.test/dkim[s2025]", .pass, "k=rsa, 2048 bits, SubjectPublicKeyInfo")
        Self.expect(r, "mailauth.test/dkim[pkcs1]", .fail, "an RSA key of 1024 bits, under 2048")
        Self.expect(r, "mailauth.test/dkim[weak]", .fail, "an RSA key of 512 bits: verifiers reject keys under 1024")
        Self.expect(r, "mailauth.test/dkim[old2019]", .pass, "revoked")
        Self.expect(r, "mailauth.test/dkim[ed]", .pass, "k=ed25519, 256 bits, raw")
        Self.expect(r, "mailauth.test/dkim[edspki]", .fail, "an ed25519 key published as SubjectPublicKeyInfo")
        Self.expect(r, "mailauth.test/dkim[testing]", .pass, "t=y")
        Self.expect(r, "mailauth.test/dkim[missing]", .fail, "no DKIM key record at missing._domainkey.mailauth.test.")
    }

    @Test func tlsReporting() async throws {
        let r = try await Self.run(
            """
              mailauth.test: { tls_rpt: { valid: true, rua_contains: ["mailto:tlsrpt@mailauth.test"] } }
              bad.mailauth.test: { tls_rpt: { valid: true } }
              sub.mailauth.test: { tls_rpt: { rua_contains: ["https://reports.test/tlsrpt"] } }
              example.test: { tls_rpt: { valid: true } }
            """)
        Self.expect(r, "mailauth.test/tls_rpt", .pass, "rua=mailto:tlsrpt@mailauth.test,https://reports.test/tlsrpt")
        Self.expect(r, "bad.mailauth.test/tls_rpt", .fail, "\"ftp://reports.test/tlsrpt\" is not a mailto: or https:")
        Self.expect(r, "sub.mailauth.test/tls_rpt", .fail, "no TLS-RPT record at _smtp._tls.sub.mailauth.test.")
        Self.expect(r, "example.test/tls_rpt", .fail, "no TLS-RPT record")
    }

    @Test func dmarcDiscoveryLocationAndReports() async throws {
        let r = try await Self.run(
            """
              mailauth.test: { dmarc: { location: exact, policy: reject, rua_authorized: true } }
              sub.mailauth.test: { dmarc: { location: inherited, policy: quarantine, subdomain_policy: quarantine } }
              deep.sub.mailauth.test: { dmarc: { discovery: rfc9989, policy_at_least: quarantine } }
              own.mailauth.test: { dmarc: { valid: true, rua_authorized: true } }
              case.mailauth.test: { dmarc: { valid: true } }
              order.mailauth.test: { dmarc: { discovery: rfc7489, policy: quarantine } }
              nwtraders.test: { dmarc: { location: inherited } }
            """)
        // The organisational domain's own record; its external destinations are authorised (one by a wildcard).
        Self.expect(r, "mailauth.test/dmarc", .pass, "p=reject sp=quarantine")
        // sub.mailauth.test has no record: the organisational domain's sp applies to it.
        Self.expect(r, "sub.mailauth.test/dmarc", .pass, "(at _dmarc.mailauth.test.)")
        Self.expect(r, "deep.sub.mailauth.test/dmarc", .pass, "(at _dmarc.mailauth.test.)")
        Self.expect(r, "own.mailauth.test/dmarc", .fail, "mailto:x@noauth.reports.test (nothing at")
        // Not DMARC records (the version's case; the version not first): as if there were none.
        Self.expect(r, "case.mailauth.test/dmarc", .fail, "no DMARC record at _dmarc.case.mailauth.test.")
        // ...so discovery goes on to the organisational domain.
        Self.expect(r, "order.mailauth.test/dmarc", .pass, "(at _dmarc.mailauth.test.)")
        Self.expect(r, "nwtraders.test/dmarc", .fail, "the record is at _dmarc.nwtraders.test. itself, not inherited")
    }

    @Test func exactByDefaultAndSaidWhenInherited() async throws {
        let r = try await Self.run(
            """
              sub.mailauth.test: { dmarc: { valid: true, location: exact, discovery: rfc7489 } }
              deep.sub.mailauth.test: { dmarc: { policy: quarantine } }
            """)
        Self.expect(
            r, "sub.mailauth.test/dmarc", .fail, "no record at _dmarc.sub.mailauth.test.; the policy is inherited")
        Self.expect(r, "deep.sub.mailauth.test/dmarc", .fail, "no DMARC record at _dmarc.deep.sub.mailauth.test.")
    }
}
