namespace DmVoice.Soak.Checking;

/// <summary>
/// The version rule, end to end: every live device's last applied version of every room it knows equals
/// the room's, and what it built by applying events (and re-reading after gaps) is the room's presence;
/// on one connection a room's versions only go up; a read never shows an older version than one already
/// applied; one version of a room is one change.
/// </summary>
public static class VersionChecks
{
    public const string DeviceVersion = "device_version";
    public const string DevicePresence = "device_presence";
    public const string VersionBackwards = "version_backwards";
    public const string VersionReused = "version_reused";

    public static void Run(SoakEvidence evidence, List<Violation> violations, Dictionary<string, int> counts)
    {
        CheckDeviceViews(evidence, violations, counts);
        CheckOrderPerConnection(evidence, violations);
        CheckOneChangePerVersion(evidence, violations);

        foreach (var regression in evidence.Regressions)
        {
            violations.Add(new Violation(VersionBackwards, $"device {regression.DeviceId} had applied version {regression.AppliedVersion} of {regression.RoomId}, then read version {regression.ReadVersion}"));
        }

        foreach (var (roomId, highest) in evidence.Events.GroupBy(e => e.RoomId).Select(g => (g.Key, g.Max(e => e.Version))))
        {
            if (evidence.Rooms.TryGetValue(roomId, out var room) && room.Version < highest)
            {
                violations.Add(new Violation(VersionBackwards, $"{roomId} ends at version {room.Version}, but devices received version {highest}"));
            }
        }
    }

    private static void CheckDeviceViews(SoakEvidence evidence, List<Violation> violations, Dictionary<string, int> counts)
    {
        foreach (var device in evidence.DeviceViews.Where(d => d.LiveAndSynced))
        {
            foreach (var room in evidence.Rooms.Values.Where(r => r.Members.Contains(device.UserId)))
            {
                if (evidence.UncertainMemberships.Contains((room.RoomId, device.UserId)) || !device.Rooms.TryGetValue(room.RoomId, out var view))
                {
                    counts.Count("device rooms not checked");
                    continue;
                }

                counts.Count("device rooms checked");
                if (view.Version < room.Version && NotForThem(evidence, room.RoomId, device.UserId, view.Version + 1, room.Version))
                {
                    // The versions it lacks were, by design, told to everyone but its user: nothing reveals them.
                    counts.Count("device rooms behind only by events not sent to them");
                }
                else if (view.Version != room.Version)
                {
                    violations.Add(new Violation(DeviceVersion, $"device {device.DeviceId} of {device.UserId} is at version {view.Version} of {room.RoomId}, which is at {room.Version}"));
                    continue;
                }

                var difference = Differences(view, room, device.UserId);
                if (difference is not null)
                {
                    violations.Add(new Violation(DevicePresence, $"device {device.DeviceId} of {device.UserId} at version {view.Version} of {room.RoomId}: {difference}"));
                }
            }
        }
    }

    /// <summary>
    /// Whether every version from <paramref name="from"/> to <paramref name="to"/> of the room was an event the
    /// API sends to everyone but <paramref name="userId"/>: the end of a ring they had dismissed (their devices
    /// stopped ringing at the dismissal; the expiry's <c>missed</c>, or a <c>cancelled</c>, goes to the others).
    /// </summary>
    private static bool NotForThem(SoakEvidence evidence, string roomId, string userId, long from, long to)
    {
        var dismissed = evidence.Events
            .Where(e => e.RoomId == roomId && e.Name == "dmVoiceRingStopped" && e.Outcome == "dismissed" && e.SubjectUserId == userId)
            .Select(e => e.RingId)
            .ToHashSet();
        for (var version = from; version <= to; version++)
        {
            var told = evidence.Events.Where(e => e.RoomId == roomId && e.Version == version).ToList();
            if (told.Count == 0 || !told.All(e => e.Name == "dmVoiceRingStopped" && e.SubjectUserId == userId && e.Outcome != "dismissed" && dismissed.Contains(e.RingId)))
            {
                return false;
            }
        }

        return true;
    }

    private static string? Differences(RoomView view, RoomSnapshot room, string viewer)
    {
        if (room.Kind == RoomKind.Dm && view.CallId != room.CallId)
        {
            return $"call {view.CallId ?? "none"} where the room has {room.CallId ?? "none"}";
        }

        var missing = room.Participants.Keys.Except(view.Participants.Keys).ToList();
        var extra = view.Participants.Keys.Except(room.Participants.Keys).ToList();
        if (missing.Count > 0 || extra.Count > 0)
        {
            return $"participants lack [{string.Join(", ", missing)}] and have extra [{string.Join(", ", extra)}]";
        }

        foreach (var (userId, state) in room.Participants)
        {
            if (view.Participants[userId] != state)
            {
                return $"{userId} is {view.Participants[userId]} where the room has {state}";
            }
        }

        // A viewer does not see their own dismissed ring in the presence; compare the others' rings only.
        var rings = room.Ringing.Select(r => r.UserId).Where(u => u != viewer).Order().ToList();
        var viewRings = view.RingingUserIds.Where(u => u != viewer).Order().ToList();
        return rings.SequenceEqual(viewRings) ? null : $"ringing [{string.Join(", ", viewRings)}] where the room rings [{string.Join(", ", rings)}]";
    }

    private static void CheckOrderPerConnection(SoakEvidence evidence, List<Violation> violations)
    {
        foreach (var stream in evidence.Events.GroupBy(e => (e.DeviceId, e.Connection, e.RoomId)))
        {
            var seen = new HashSet<long>();
            long highest = 0;
            foreach (var received in stream)
            {
                if (received.Version < highest && !seen.Contains(received.Version))
                {
                    violations.Add(new Violation(VersionBackwards, $"device {received.DeviceId} (connection {received.Connection}) received version {received.Version} of {received.RoomId} ({received.Name}) after version {highest}"));
                }

                seen.Add(received.Version);
                highest = Math.Max(highest, received.Version);
            }
        }
    }

    private static void CheckOneChangePerVersion(SoakEvidence evidence, List<Violation> violations)
    {
        foreach (var version in evidence.Events.GroupBy(e => (e.RoomId, e.Version)))
        {
            var changes = version.Select(Fingerprint).Distinct().ToList();
            if (changes.Count > 1)
            {
                violations.Add(new Violation(VersionReused, $"version {version.Key.Version} of {version.Key.RoomId} was told as different changes: {string.Join(" / ", changes)}"));
            }
        }
    }

    /// <summary>
    /// What a change is, so that one change told two ways under one version (documented: a seat move is an
    /// update to the others and a session move to the user; losing a channel is an update to the others and
    /// a removal to the user, and so is an invite given or gone an update to the members and an invite event
    /// to the invited; a dismissal reaches the recipient alone) reads as one.
    /// </summary>
    public static string Fingerprint(ObservedEvent e) => e.Name switch
    {
        "dmVoiceSessionMoved" or "dmVoiceUserUpdated" => $"updated {e.SubjectUserId} in call {e.CallId}",
        "voiceChannelSessionMoved" or "voiceChannelUserUpdated" => $"updated {e.SubjectUserId} in voice {e.CallId}",
        "voiceChannelUpdated" or "voiceChannelRemoved" or "voiceChannelInvited" or "voiceChannelInviteRemoved" => "channel changed",
        "dmVoiceRingStopped" => $"ring {e.RingId} stopped ({e.Outcome})",
        "dmVoiceCallEnded" => $"call {e.CallId} ended",
        _ => $"{e.Name} {e.SubjectUserId} in {e.CallId}",
    };
}
