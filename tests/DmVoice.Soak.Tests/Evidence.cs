using DmVoice.Soak.Checking;

namespace DmVoice.Soak.Tests;

/// <summary>A small world for the checker: one DM between alice and bob, alice in its call on her desktop, all quiet and right.</summary>
internal static class Evidence
{
    public static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public static ParticipantState Alice => new("alice", false, false, false, false, "desktop");

    public static RoomSnapshot Room(long version = 5, params ParticipantState[] participants) => new(
        "dm-1", RoomKind.Dm, version, "call-1",
        (participants.Length == 0 ? [Alice] : participants).ToDictionary(p => p.UserId),
        [], ["alice", "bob"]);

    public static DeviceFinalView View(string userId, long version, params ParticipantState[] participants) => new(
        $"{userId}.desktop", userId, true,
        new Dictionary<string, RoomView>
        {
            ["dm-1"] = new("dm-1", version, "call-1", (participants.Length == 0 ? [Alice] : participants).ToDictionary(p => p.UserId), []),
        });

    public static ObservedEvent Received(string deviceId, long version, string name = "dmVoiceUserUpdated", int connection = 1, string? subject = "alice") =>
        new(Now, deviceId, deviceId.Split('.')[0], name, "dm-1", version, "call-1", connection, subject);

    public static ObservedEvent RingStopped(string deviceId, long version, string outcome, string ringId = "ring-1", string recipient = "bob") =>
        new(Now, deviceId, deviceId.Split('.')[0], "dmVoiceRingStopped", "dm-1", version, "call-1", 1, recipient, ringId, outcome);

    public static SoakEvidence Clean() => new()
    {
        CheckedAt = Now,
        PresenceWindow = TimeSpan.FromSeconds(20),
        Rooms = new Dictionary<string, RoomSnapshot> { ["dm-1"] = Room() },
        ActiveCalls = new Dictionary<string, ActiveCallFact?> { ["alice"] = new("dm", "dm-1", "alice.desktop"), ["bob"] = null },
        Devices = [new("alice.desktop", "alice", true, null), new("bob.desktop", "bob", true, null)],
        History = new Dictionary<string, IReadOnlyList<CallRecordFact>> { ["dm-1"] = [] },
        CallIdsSeen = new Dictionary<string, IReadOnlySet<string>> { ["dm-1"] = new HashSet<string> { "call-1" } },
        Events = [Received("bob.desktop", 4), Received("bob.desktop", 5)],
        Operations = [new(Now, "alice", "POST DM join", 200, null, false, 12)],
        Regressions = [],
        DeviceViews = [View("alice", 5), View("bob", 5)],
    };

    public static IReadOnlyList<string> Invariants(this CheckResult result) => result.Violations.Select(v => v.Invariant).Distinct().ToList();
}
