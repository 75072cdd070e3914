import SMTPDiagRunner

/// The families of checks the command line knows, in the order their checks are planned (check ids and their
/// order are a contract for the keys specs already use; a new key's checks may go anywhere, since no spec has
/// them yet: the DNS ones before the SMTP sessions). A new family is one file in this folder and one line here.
public enum Families {
    public static let builtin = FamilyRegistry([
        SOAFamily.self,
        NSFamily.self,
        MXFamily.self,
        MXResolvesFamily.self,
        RecordsFamily.self,
        SPFFamily.self,
        DMARCFamily.self,
        DKIMFamily.self,
        TLSRPTFamily.self,
        SMTPFamily.self,
        RoutesFamily.self,
    ])
}
