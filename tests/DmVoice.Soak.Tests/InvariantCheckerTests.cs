using DmVoice.Soak.Checking;
using Xunit;
using static DmVoice.Soak.Tests.Evidence;

namespace DmVoice.Soak.Tests;

public sealed class InvariantCheckerTests
{
    [Fact]
    public void A_run_where_every_device_agrees_with_the_system_has_no_violation()
    {
        var result = InvariantChecker.Check(Clean());

        Assert.True(result.Passed, string.Join("\n", result.Violations));
        Assert.Equal(2, result.Checked["device rooms checked"]);
    }

    [Fact]
    public void A_version_that_goes_backwards_on_one_connection_is_flagged_but_a_repeat_is_not()
    {
        var repeated = Clean() with { Events = [Received("bob.desktop", 4), Received("bob.desktop", 5), Received("bob.desktop", 5)] };
        var backwards = Clean() with { Events = [Received("bob.desktop", 3), Received("bob.desktop", 5), Received("bob.desktop", 4)] };

        Assert.True(InvariantChecker.Check(repeated).Passed);
        Assert.Equal([VersionChecks.VersionBackwards], InvariantChecker.Check(backwards).Invariants());
    }

    [Fact]
    public void A_read_older_than_what_a_device_applied_and_a_room_behind_its_own_events_are_flagged()
    {
        var reread = Clean() with { Regressions = [new(Now, "bob.desktop", "dm-1", AppliedVersion: 5, ReadVersion: 3)] };
        var behind = Clean() with { Events = [Received("bob.desktop", 6)] };

        Assert.Equal([VersionChecks.VersionBackwards], InvariantChecker.Check(reread).Invariants());
        Assert.Contains(VersionChecks.VersionBackwards, InvariantChecker.Check(behind).Invariants());
    }

    [Fact]
    public void One_version_told_as_two_different_changes_is_flagged_but_a_seat_move_told_two_ways_is_not()
    {
        var reused = Clean() with { Events = [Received("bob.desktop", 5), Received("alice.desktop", 5, "dmVoiceUserJoined", subject: "carol")] };
        var seatMove = Clean() with { Events = [Received("bob.desktop", 5), Received("alice.desktop", 5, "dmVoiceSessionMoved")] };
        var invite = Clean() with { Events = [Received("bob.desktop", 5), Received("alice.desktop", 6, "voiceChannelUpdated"), Received("carol.desktop", 6, "voiceChannelInvited", subject: null)], Rooms = new Dictionary<string, RoomSnapshot> { ["dm-1"] = Room(6) }, DeviceViews = [View("alice", 6), View("bob", 6)] };

        Assert.Equal([VersionChecks.VersionReused], InvariantChecker.Check(reused).Invariants());
        Assert.True(InvariantChecker.Check(seatMove).Passed);
        Assert.True(InvariantChecker.Check(invite).Passed, string.Join("\n", InvariantChecker.Check(invite).Violations));
    }

    [Fact]
    public void A_ring_that_ends_twice_is_flagged_but_a_dismissal_followed_by_the_others_missed_is_not()
    {
        var twice = Clean() with { Events = [RingStopped("alice.desktop", 4, "declined"), RingStopped("alice.desktop", 5, "missed")] };
        var dismissed = Clean() with { Events = [RingStopped("bob.desktop", 4, "dismissed"), RingStopped("alice.desktop", 5, "missed")] };
        var dismissalSeenByAnother = Clean() with { Events = [RingStopped("alice.desktop", 4, "dismissed")] };

        Assert.Equal([RingChecks.RingEndedOnce], InvariantChecker.Check(twice).Invariants());
        Assert.True(InvariantChecker.Check(dismissed).Passed, string.Join("\n", InvariantChecker.Check(dismissed).Violations));
        Assert.Equal([RingChecks.RingEndedOnce], InvariantChecker.Check(dismissalSeenByAnother).Invariants());
    }

    [Fact]
    public void A_ring_still_listed_well_after_it_expired_never_ended()
    {
        var room = Room() with { Ringing = [new RingFact("bob", "ring-1", Now - TimeSpan.FromSeconds(30))] };
        var evidence = Clean() with { Rooms = new Dictionary<string, RoomSnapshot> { ["dm-1"] = room }, DeviceViews = [] };

        Assert.Equal([RingChecks.RingNeverEnded], InvariantChecker.Check(evidence).Invariants());
    }

    [Fact]
    public void A_500_is_flagged_and_so_is_a_503_without_retry_after()
    {
        var evidence = Clean() with
        {
            Operations =
            [
                new(Now, "alice", "PUT DM state", 500, "internal_error", false, 3),
                new(Now, "alice", "hub sync", 503, "temporarily_unavailable", false, 3),
                new(Now, "alice", "POST DM join", 503, "temporarily_unavailable", true, 3),
            ],
        };

        var result = InvariantChecker.Check(evidence);

        Assert.Equal(2, result.Violations.Count);
        Assert.Equal([ResponseChecks.No500, ResponseChecks.RetryAfter], result.Invariants());
    }

    [Fact]
    public void A_participant_whose_seat_device_went_longer_ago_than_the_window_is_a_ghost_but_one_that_just_went_is_not()
    {
        var ghost = Clean() with { Devices = [new("alice.desktop", "alice", false, Now - TimeSpan.FromSeconds(60)), new("alice.mobile", "alice", true, null)] };
        var recent = Clean() with { Devices = [new("alice.desktop", "alice", false, Now - TimeSpan.FromSeconds(5))] };

        // Her mobile being connected does not keep a seat her desktop holds.
        Assert.Equal([PresenceChecks.GhostParticipant], InvariantChecker.Check(ghost).Invariants());
        Assert.True(InvariantChecker.Check(recent).Passed);
    }

    [Fact]
    public void A_user_in_two_rooms_or_whose_own_view_disagrees_with_the_room_is_flagged()
    {
        var other = Room() with { RoomId = "dm-2" };
        var twoRooms = Clean() with { Rooms = new Dictionary<string, RoomSnapshot> { ["dm-1"] = Room(), ["dm-2"] = other } };
        var disagree = Clean() with { ActiveCalls = new Dictionary<string, ActiveCallFact?> { ["alice"] = null, ["bob"] = null } };

        Assert.Contains(PresenceChecks.OneCallPerUser, InvariantChecker.Check(twoRooms).Invariants());
        Assert.Equal([PresenceChecks.UserAndRoomAgree], InvariantChecker.Check(disagree).Invariants());
    }

    [Fact]
    public void A_device_behind_the_room_or_with_other_participants_at_the_same_version_is_flagged()
    {
        var behind = Clean() with { DeviceViews = [View("alice", 5), View("bob", 4)] };
        var muted = Alice with { IsMuted = true };
        var wrong = Clean() with { DeviceViews = [View("alice", 5), View("bob", 5, muted)] };

        Assert.Equal([VersionChecks.DeviceVersion], InvariantChecker.Check(behind).Invariants());
        Assert.Equal([VersionChecks.DevicePresence], InvariantChecker.Check(wrong).Invariants());
    }

    [Fact]
    public void A_recipient_behind_only_by_the_end_of_the_ring_they_dismissed_is_not_behind()
    {
        // Bob dismissed his ring (version 5, his devices only); its expiry (version 6) went to the others only.
        var evidence = Clean() with
        {
            Rooms = new Dictionary<string, RoomSnapshot> { ["dm-1"] = Room(6) },
            Events = [RingStopped("bob.desktop", 5, "dismissed"), RingStopped("alice.desktop", 6, "missed")],
            DeviceViews = [View("alice", 6), View("bob", 5)],
        };
        var missedSomethingElse = evidence with { Events = [RingStopped("bob.desktop", 5, "dismissed"), Received("alice.desktop", 6)] };

        Assert.True(InvariantChecker.Check(evidence).Passed, string.Join("\n", InvariantChecker.Check(evidence).Violations));
        Assert.Equal([VersionChecks.DeviceVersion], InvariantChecker.Check(missedSomethingElse).Invariants());
    }

    [Fact]
    public void A_call_seen_that_is_neither_live_nor_in_history_is_flagged_and_so_is_a_call_stored_twice()
    {
        var record = new CallRecordFact("call-0", "dm-1", "ended", ["alice"], [new("alice", "started"), new("bob", "missed")]);
        var missing = Clean() with { CallIdsSeen = new Dictionary<string, IReadOnlySet<string>> { ["dm-1"] = new HashSet<string> { "call-0", "call-1" } } };
        var twice = missing with { History = new Dictionary<string, IReadOnlyList<CallRecordFact>> { ["dm-1"] = [record, record] } };

        Assert.Equal([HistoryChecks.EndedCallMissing], InvariantChecker.Check(missing).Invariants());
        Assert.Equal([HistoryChecks.HistoryOnce], InvariantChecker.Check(twice).Invariants());
    }
}
