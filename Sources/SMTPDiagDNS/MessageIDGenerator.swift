/// Where query ids come from. Random by default (RFC 5452 §4.3); injectable so tests can force
/// collisions and predictable ids.
public protocol MessageIDGenerator: Sendable {
    func next() -> UInt16
}

public struct RandomMessageIDGenerator: MessageIDGenerator {
    public init() {}
    public func next() -> UInt16 {
        var rng = SystemRandomNumberGenerator()
        return UInt16.random(in: 0...UInt16.max, using: &rng)
    }
}
