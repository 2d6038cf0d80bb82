namespace DmVoice.Soak.Checking;

/// <summary>
/// One call per user, the user's own view agreeing with the rooms', and nobody kept in a call without
/// a live device for longer than the disconnect grace plus the lease timeout (and a margin).
/// </summary>
public static class PresenceChecks
{
    public const string OneCallPerUser = "one_call_per_user";
    public const string UserAndRoomAgree = "user_and_room_agree";
    public const string GhostParticipant = "ghost_participant";

    public static void Run(SoakEvidence evidence, List<Violation> violations, Dictionary<string, int> counts)
    {
        var seats = evidence.Rooms.Values
            .SelectMany(room => room.Participants.Keys.Select(userId => (userId, room)))
            .GroupBy(seat => seat.userId, seat => seat.room)
            .ToDictionary(g => g.Key, g => g.ToList());

        foreach (var (userId, rooms) in seats)
        {
            counts.Count("participants");
            if (rooms.Count > 1)
            {
                violations.Add(new Violation(OneCallPerUser, $"{userId} is a participant of {rooms.Count} rooms: {string.Join(", ", rooms.Select(r => r.RoomId))}"));
            }

            var active = evidence.ActiveCalls.GetValueOrDefault(userId);
            foreach (var room in rooms.Where(r => active?.RoomId != r.RoomId))
            {
                violations.Add(new Violation(UserAndRoomAgree, $"{userId} is a participant of {room.RoomId}, but their own view says {Describe(active)}"));
            }

            foreach (var room in rooms)
            {
                CheckLiveDevice(evidence, userId, room, active, violations);
            }
        }

        foreach (var (userId, active) in evidence.ActiveCalls)
        {
            counts.Count("users");
            if (active is null || !evidence.Rooms.TryGetValue(active.RoomId, out var room))
            {
                continue;
            }

            if (!room.Participants.ContainsKey(userId))
            {
                violations.Add(new Violation(UserAndRoomAgree, $"{userId}'s own view says they are in {active.RoomId}, whose participants are [{string.Join(", ", room.Participants.Keys)}]"));
            }
        }
    }

    private static void CheckLiveDevice(SoakEvidence evidence, string userId, RoomSnapshot room, ActiveCallFact? active, List<Violation> violations)
    {
        // A seat held by a named device rests on that device alone; a seat whose join named none, on any of the user's.
        var seatDevice = active?.RoomId == room.RoomId ? active.DeviceId : null;
        var devices = evidence.Devices.Where(d => d.UserId == userId && (seatDevice is null || d.DeviceId == seatDevice)).ToList();
        if (devices.Any(d => d.Connected))
        {
            return;
        }

        var lastWent = devices.Select(d => d.DisconnectedSince).Max();
        if (lastWent is null || evidence.CheckedAt - lastWent.Value > evidence.PresenceWindow)
        {
            var since = lastWent is null ? "it never connected" : $"it went {(evidence.CheckedAt - lastWent.Value).TotalSeconds:0.0} s before the check";
            violations.Add(new Violation(
                GhostParticipant,
                $"{userId} is still a participant of {room.RoomId} without a live device ({seatDevice ?? "any device"}: {since}; allowed {evidence.PresenceWindow.TotalSeconds:0} s)"));
        }
    }

    private static string Describe(ActiveCallFact? active) => active is null ? "no call" : $"{active.Kind} {active.RoomId}";
}
