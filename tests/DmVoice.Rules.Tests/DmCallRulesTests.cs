namespace DmVoice.Rules.Tests;

/// <summary>A DM's call, case by case: what each request does to the call and what everyone hears.</summary>
public sealed class DmCallRulesTests
{
    private static readonly TimeSpan RingTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void The_first_joiner_starts_the_call_and_rings_every_other_member()
    {
        var call = new DmCallHarness(["a", "b", "c"]);

        var joined = call.Join("a");

        Assert.True(joined.Started);
        var started = Assert.Single(call.EventsOf<CallStartedEvent>());
        Assert.Equal(["b", "c"], started.Ringing.Select(r => r.UserId).Order());
        Assert.Equal(1, started.Version);
        Assert.Equal(call.Now + RingTimeout, started.Ringing[0].ExpiresAt);
        Assert.Equal(call.Now + RingTimeout, call.Room.NextDeadline());
    }

    [Fact]
    public void A_member_who_joins_accepts_their_ring_and_everyone_hears_it_under_the_next_versions()
    {
        var call = new DmCallHarness(["a", "b"]);
        call.Join("a");

        call.Join("b");

        var versions = call.Published.Select(p => p.Event.Version).ToArray();
        Assert.Equal([1L, 2L, 3L], versions);
        Assert.IsType<UserJoinedEvent>(call.Published.ElementAt(1).Event);
        var stopped = Assert.Single(call.EventsOf<RingStoppedEvent>());
        Assert.Equal(("b", RingOutcomes.Accepted), (stopped.UserId, stopped.Outcome));
        Assert.Null(call.Room.NextDeadline());
    }

    [Theory]
    [InlineData(RingVerdict.Silent, true, false)]
    [InlineData(RingVerdict.Ring, false, true)]
    public void A_ring_is_silent_for_do_not_disturb_and_audible_rings_are_pushed(RingVerdict verdict, bool silent, bool pushed)
    {
        var call = new DmCallHarness(["a", "b"]);
        call.Answers["b"] = new Answer(Verdict: verdict);

        call.Join("a");

        Assert.Equal(silent, Assert.Single(call.EventsOf<CallStartedEvent>().Single().Ringing).Silent);
        Assert.Equal(pushed, call.Committed.SelectMany(o => o.Pushes).Any(p => p.Started is not null));
    }

    [Theory]
    [InlineData(true, RingVerdict.Ring, NotRungReasons.Busy, CallEndReasons.Busy)]
    [InlineData(false, RingVerdict.RateLimited, NotRungReasons.RateLimited, CallEndReasons.RateLimited)]
    public void A_one_to_one_call_whose_only_recipient_cannot_be_rung_ends_at_once(bool busy, RingVerdict verdict, string notRungReason, string endReason)
    {
        var call = new DmCallHarness(["a", "b"]);
        call.Answers["b"] = new Answer(busy, verdict);

        var joined = call.Join("a");

        Assert.Equal(notRungReason, Assert.Single(joined.NotRung!).Reason);
        Assert.Equal(endReason, Assert.Single(call.EventsOf<CallEndedEvent>()).Reason);
        Assert.Null(call.State.Call);
        Assert.Single(call.History.Records);
    }

    [Fact]
    public void A_member_who_blocked_the_caller_is_rung_hidden_and_only_they_read_blocked_in_the_history()
    {
        var call = new DmCallHarness(["a", "b", "c"]);
        call.Answers["b"] = new Answer(Verdict: RingVerdict.Blocked);
        call.Join("a");

        var toOthers = call.Published.Single(p => p.Event is CallStartedEvent && p.Audience.Contains("a"));
        var toB = call.Published.Single(p => p.Event is CallStartedEvent && p.Audience.SequenceEqual(["b"]));
        Assert.Equal(["b", "c"], ((CallStartedEvent)toOthers.Event).Ringing.Select(r => r.UserId).Order());
        Assert.DoesNotContain("b", toOthers.Audience);
        Assert.Equal(["c"], ((CallStartedEvent)toB.Event).Ringing.Select(r => r.UserId));
        Assert.Equal(toOthers.Event.Version, toB.Event.Version);
        Assert.Throws<DmVoiceException>(() => call.Decline("b"));

        call.Advance(RingTimeout);
        call.Leave("a");
        call.Advance(call.Options.EmptyCallGrace);

        Assert.Equal(RingOutcomes.Missed, call.Dm.History("a", 10, null).Single().Outcomes.Single(o => o.UserId == "b").Outcome);
        Assert.Equal(RingOutcomes.Blocked, call.Dm.History("b", 10, null).Single().Outcomes.Single(o => o.UserId == "b").Outcome);
    }

    [Fact]
    public void A_declined_one_to_one_call_ends_as_declined_and_the_caller_leaves_with_it()
    {
        var call = new DmCallHarness(["a", "b"]);
        call.Join("a");

        call.Decline("b");

        var ended = Assert.Single(call.EventsOf<CallEndedEvent>());
        Assert.Equal(CallEndReasons.Declined, ended.Reason);
        Assert.Contains(call.EventsOf<UserLeftEvent>(), e => e.UserId == "a" && e.Reason == LeaveReasons.CallEnded);
        Assert.Contains(call.Committed.SelectMany(o => o.Removals), r => r.UserId == "a");
    }

    [Fact]
    public void An_unanswered_ring_expires_as_missed_and_lands_in_the_members_missed_calls_when_the_call_ends()
    {
        var call = new DmCallHarness(["a", "b", "c"]);
        call.Join("a");
        call.Join("b");

        call.Advance(RingTimeout);
        var missed = Assert.Single(call.EventsOf<RingStoppedEvent>(), e => e.UserId == "c");
        Assert.Equal(RingOutcomes.Missed, missed.Outcome);

        call.Leave("a");
        call.Leave("b");
        Assert.NotNull(call.State.Call);
        call.Advance(call.Options.EmptyCallGrace);

        Assert.Null(call.State.Call);
        var record = Assert.Single(call.History.Records);
        Assert.Equal(["a", "b"], record.Participants);
        Assert.Equal([("c", record.CallId)], call.Committed.SelectMany(o => o.MissedCalls).Select(m => (m.UserId, m.Record.CallId)));
    }

    [Fact]
    public void With_no_empty_grace_the_last_leave_ends_the_call_in_the_same_turn()
    {
        var call = new DmCallHarness(["a", "b"], new CallOptions { EmptyCallGrace = TimeSpan.Zero });
        call.Join("a");
        call.Join("b");
        call.Leave("b");
        var turns = call.Committed.Count;

        call.Leave("a");

        Assert.Equal(turns + 1, call.Committed.Count);
        Assert.Single(call.EventsOf<CallEndedEvent>());
        Assert.Single(call.Committed[^1].Records);
    }

    [Fact]
    public void A_rejoin_within_the_empty_grace_keeps_the_call_and_stops_nothing_twice()
    {
        var call = new DmCallHarness(["a", "b", "c"]);
        var first = call.Join("a");
        call.Leave("a");
        var cancelled = call.EventsOf<RingStoppedEvent>().Count(e => e.Outcome == RingOutcomes.Cancelled);

        var again = call.Join("a");

        Assert.Equal(first.CallId, again.CallId);
        Assert.False(again.Started);
        Assert.Equal(2, cancelled);
        Assert.Empty(call.EventsOf<CallEndedEvent>());
    }

    [Fact]
    public void Joining_again_from_the_same_device_is_not_a_change_and_from_another_device_moves_the_seat()
    {
        var call = new DmCallHarness(["a", "b"]);
        call.Join("a", deviceId: "phone");
        var version = call.State.Version;

        call.Join("a", deviceId: "phone");
        Assert.Equal(version, call.State.Version);

        var moved = call.Join("a", deviceId: "desk");
        Assert.True(moved.SeatMoved);
        var (toOthers, toOwn) = (call.Published.Single(p => p.Event is UserUpdatedEvent), call.Published.Single(p => p.Event is SessionMovedEvent));
        Assert.Equal(["b"], toOthers.Audience);
        Assert.Equal(["a"], toOwn.Audience);
        Assert.Equal(version + 1, toOwn.Event.Version);
        Assert.Equal(toOthers.Event.Version, toOwn.Event.Version);
        Assert.Throws<DmVoiceException>(() => call.Update("a", new VoiceStatePatch(IsMuted: true), deviceId: "phone"));
    }

    [Fact]
    public void A_state_change_that_changes_nothing_publishes_nothing()
    {
        var call = new DmCallHarness(["a", "b"]);
        call.Join("a", muted: true);
        var version = call.State.Version;

        call.Update("a", new VoiceStatePatch(IsMuted: true));

        Assert.Equal(version, call.State.Version);
        call.Update("a", new VoiceStatePatch(IsMuted: false, IsVideoEnabled: true));
        var updated = call.EventsOf<UserUpdatedEvent>().Single();
        Assert.Equal((false, true), (updated.User.IsMuted, updated.User.IsVideoEnabled));
    }

    [Fact]
    public void A_dismissed_ring_goes_quiet_on_the_recipient_only_and_still_expires_for_the_others()
    {
        var call = new DmCallHarness(["a", "b", "c"]);
        call.Join("a");

        call.Dismiss("b");
        var quiet = call.Published.Single(p => p.Event is RingStoppedEvent);
        Assert.Equal(["b"], quiet.Audience);
        Assert.Contains(call.Dm.Presence(call.Room, "a").Ringing, r => r.UserId == "b");
        Assert.DoesNotContain(call.Dm.Presence(call.Room, "b").Ringing, r => r.UserId == "b");

        call.Advance(RingTimeout);
        var expired = call.Published.Where(p => p.Event is RingStoppedEvent { UserId: "b" }).ToArray()[1];
        Assert.DoesNotContain("b", expired.Audience);
        Assert.Equal(RingOutcomes.Missed, ((RingStoppedEvent)expired.Event).Outcome);
    }

    [Fact]
    public void A_member_removed_from_the_dm_leaves_the_call_stops_ringing_and_hears_it_themselves()
    {
        var call = new DmCallHarness(["a", "b", "c"]);
        call.Join("a");
        call.Join("b");

        call.SyncMembers("a", "c");

        var left = call.Published.Single(p => p.Event is UserLeftEvent { UserId: "b" });
        Assert.Equal(LeaveReasons.Removed, ((UserLeftEvent)left.Event).Reason);
        Assert.Contains("b", left.Audience);
        Assert.Contains(call.Committed[^1].Detachments, d => d.UserId == "b");
        Assert.Contains(call.Committed[^1].Removals, r => r.UserId == "b");
        Assert.Throws<DmVoiceException>(() => call.Join("b"));
    }

    [Fact]
    public void Ringing_again_is_limited_per_member_per_minute_and_counts_even_when_it_rings_nobody()
    {
        var call = new DmCallHarness(["a", "b"], new CallOptions { RingsPerMinute = 2 });
        call.Join("a");
        call.Join("b");

        call.Ring("a");
        call.Ring("a");
        var refused = Assert.Throws<DmVoiceException>(() => call.Ring("a"));
        Assert.Equal(ErrorCodes.RateLimited, refused.Code);

        call.Advance(TimeSpan.FromMinutes(1));
        call.Ring("a");
    }

    [Fact]
    public void A_re_ring_rings_whom_it_names_and_counts_against_the_caller_s_limit_for_that_recipient()
    {
        var call = new DmCallHarness(["a", "b", "c"]);
        call.Join("a");
        call.Join("b");
        call.StopRinging("a", "c");

        var result = call.Ring("a", ["c"]);

        Assert.Equal("c", Assert.Single(result.Ringing).UserId);
        Assert.Equal("a", call.EventsOf<RingStartedEvent>().Single().RungBy);
        Assert.Equal([("c", "a")], call.Committed[^1].RingCounts);
    }

    [Fact]
    public void When_lives_end_the_version_keeps_growing_across_calls()
    {
        var call = new DmCallHarness(["a", "b"], new CallOptions { EmptyCallGrace = TimeSpan.Zero });
        call.Join("a");
        call.Join("b");
        call.Leave("a");
        call.Leave("b");
        var afterFirst = call.State.Version;

        var second = call.Join("b");

        Assert.True(second.Started);
        Assert.Equal(afterFirst + 1, call.EventsOf<CallStartedEvent>().Last().Version);
    }
}
