/// Durations as specs and the command line write them: `500ms`, `2s`, `1.5m`, `1h`. One parser for both,
/// with one documented maximum, so that no duration can overflow the nanosecond counts the engines use.
public enum SpecDuration {
    /// The longest duration accepted anywhere (a timeout, a deadline): one day.
    public static let maximum: Duration = .seconds(86_400)
    public static let maximumText = "24h"
    public static let form = "a duration such as 500ms, 2s or 1m (at most 24h)"

    /// The duration, or why the text is not one.
    public static func parse(_ text: String) -> Result<Duration, SpecDurationError> {
        let units: [(String, Double)] = [("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            // Digits and at most one point: no exponent, no sign, no inf or nan; bounded before any arithmetic.
            guard !number.isEmpty, number.count <= 20, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                number.filter({ $0 == "." }).count <= 1, number != ".", let v = Double(number), v.isFinite
            else { return .failure(.notADuration) }
            let seconds = v * scale
            guard seconds <= 86_400 else { return .failure(.tooLong) }
            return .success(.milliseconds(Int64((seconds * 1000).rounded())))
        }
        return .failure(.notADuration)
    }
}

public enum SpecDurationError: Error, Equatable, CustomStringConvertible {
    case notADuration
    case tooLong

    public var description: String {
        switch self {
        case .notADuration: return "not a duration"
        case .tooLong: return "longer than the maximum of \(SpecDuration.maximumText)"
        }
    }
}
