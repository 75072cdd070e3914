import SMTPDiagRunner

/// The families of checks the command line knows, in the order their checks are planned (check ids and their
/// order are a contract: a new family goes after the others). A new family is one file in this folder and one
/// line here.
public enum Families {
    public static let builtin = FamilyRegistry([
        SOAFamily.self,
        NSFamily.self,
        MXFamily.self,
        MXResolvesFamily.self,
        RecordsFamily.self,
        SMTPFamily.self,
        RoutesFamily.self,
    ])
}
