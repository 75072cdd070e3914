import SMTPDiagDNSWire

/// One authoritative server of a zone: its NS name and the addresses found for it.
public struct AuthoritativeServer: Hashable, Sendable {
    public var name: DomainName
    public var addresses: [DNSServerAddress]

    public init(name: DomainName, addresses: [DNSServerAddress]) {
        self.name = name
        self.addresses = addresses
    }
}

public enum DiscoveryError: Error, Hashable, Sendable, CustomStringConvertible {
    case query(DomainName, RecordType, DNSClientError)
    case rcode(DomainName, RecordType, ResponseCode, server: DNSServerAddress)
    case noNameServers(DomainName, server: DNSServerAddress)

    public var description: String {
        switch self {
        case .query(let n, let t, let e): return "\(n) \(t): \(e)"
        case .rcode(let n, let t, let r, let s): return "\(n) \(t): \(r) from \(s)"
        case .noNameServers(let z, let s): return "\(s) lists no NS for \(z)"
        }
    }
}

extension DNSClient {
    /// Finds the authoritative servers of `zone` through `server`: its NS set, then each NS name's A and
    /// AAAA (glue from the additional section when present, otherwise asked of the same server).
    /// A UDP answer with TC set is asked again over TCP, since a truncated NS set would hide servers.
    public func discoverAuthoritative(
        zone: DomainName, via server: DNSServerAddress, options: DNSQueryOptions = DNSQueryOptions(),
        port: Int = 53
    ) async throws(DiscoveryError) -> [AuthoritativeServer] {
        let ns = try await complete(zone, .ns, server: server, options: options)
        let names = ns.message.answers.compactMap { rr -> DomainName? in
            if case .ns(let v) = rr.rdata, rr.name == zone { return v.nsdname }
            return nil
        }
        guard !names.isEmpty else { throw .noNameServers(zone, server: server) }
        var glue: [DomainName: [DNSServerAddress]] = [:]
        for rr in ns.message.additionals {
            switch rr.rdata {
            case .a(let a): glue[rr.name, default: []].append(DNSServerAddress(host: a.description, port: port))
            case .aaaa(let a): glue[rr.name, default: []].append(DNSServerAddress(host: a.description, port: port))
            default: break
            }
        }
        var result: [AuthoritativeServer] = []
        for name in Set(names).sorted() {
            if let found = glue[name], !found.isEmpty {
                result.append(AuthoritativeServer(name: name, addresses: found.sorted()))
                continue
            }
            var addresses: [DNSServerAddress] = []
            for type in [RecordType.a, .aaaa] {
                let r = try await complete(name, type, server: server, options: options, allowNXDomain: true)
                for rr in r.message.answers {
                    switch rr.rdata {
                    case .a(let a): addresses.append(DNSServerAddress(host: a.description, port: port))
                    case .aaaa(let a): addresses.append(DNSServerAddress(host: a.description, port: port))
                    default: break
                    }
                }
            }
            result.append(AuthoritativeServer(name: name, addresses: addresses.sorted()))
        }
        return result
    }

    private func complete(
        _ name: DomainName, _ type: RecordType, server: DNSServerAddress, options: DNSQueryOptions,
        allowNXDomain: Bool = false
    ) async throws(DiscoveryError) -> DNSResponse {
        do {
            var r = try await query(name, type, server: server, transport: .udp, options: options)
            if r.isTruncated { r = try await query(name, type, server: server, transport: .tcp, options: options) }
            guard r.rcode == .noError || (allowNXDomain && r.rcode == .nxDomain) else {
                throw DiscoveryError.rcode(name, type, r.rcode, server: server)
            }
            return r
        } catch let e as DiscoveryError {
            throw e
        } catch let e as DNSClientError {
            throw .query(name, type, e)
        } catch {
            throw .query(name, type, .cancelled)
        }
    }
}
