namespace DmVoice.Rules.Tests;

/// <summary>
/// Generated sequences of requests and clock moves against one DM's call, with the invariants checked
/// after every step and once every call has ended. A failure names its seed and step; the same seed
/// replays the same sequence.
/// </summary>
public sealed class DmCallInvariantTests
{
    public static TheoryData<int> Seeds()
    {
        var seeds = new TheoryData<int>();
        for (var seed = 1; seed <= 300; seed++)
        {
            seeds.Add(seed);
        }

        return seeds;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Any_sequence_of_requests_keeps_one_seat_per_user_growing_versions_and_ends_every_ring_exactly_once(int seed)
    {
        var random = new Random(seed);
        string[] everyone = ["a", "b", "c", "d"];
        var members = everyone.Take(random.Next(2, 5)).ToArray();
        var call = new DmCallHarness(members, new CallOptions
        {
            EmptyCallGrace = TimeSpan.FromSeconds(random.Next(0, 3) * 5),
            RingTimeout = TimeSpan.FromSeconds(30),
            RingsPerMinute = 3,
        });
        var checker = new InvariantChecker(call);

        for (var step = 0; step < 150; step++)
        {
            var description = RandomStep(call, random, everyone);
            checker.Check($"seed {seed}, step {step} ({description})");
        }

        // Quiet down: everyone hangs up and the clock runs past every deadline.
        foreach (var userId in call.ParticipantIds.ToArray())
        {
            call.Leave(userId);
        }

        call.Advance(TimeSpan.FromMinutes(5));
        checker.Check($"seed {seed}, after everyone left");
        Assert.Null(call.State.Call);
        checker.EveryRingEndedOnce($"seed {seed}");
    }

    private static string RandomStep(DmCallHarness call, Random random, string[] everyone)
    {
        var members = call.State.Members;
        var user = members[random.Next(members.Count)];
        foreach (var member in members)
        {
            call.Answers[member] = new Answer(random.Next(6) == 0, (RingVerdict)random.Next(0, 4));
        }

        var choice = random.Next(100);
        try
        {
            switch (choice)
            {
                case < 28:
                    call.Join(user, deviceId: random.Next(3) == 0 ? $"device{random.Next(2)}" : null);
                    return $"{user} joins";
                case < 45:
                    call.Leave(user);
                    return $"{user} leaves";
                case < 55:
                    call.Update(user, new VoiceStatePatch(IsMuted: random.Next(2) == 0, IsVideoEnabled: random.Next(2) == 0));
                    return $"{user} changes state";
                case < 62:
                    call.Ring(user, random.Next(2) == 0 ? null : [members[random.Next(members.Count)]]);
                    return $"{user} rings again";
                case < 70:
                    call.Decline(user);
                    return $"{user} declines";
                case < 75:
                    call.Dismiss(user);
                    return $"{user} dismisses";
                case < 80:
                    call.StopRinging(user, members[random.Next(members.Count)]);
                    return $"{user} stops a ring";
                case < 93:
                    call.Advance(TimeSpan.FromSeconds(random.Next(1, 40)));
                    return "time passes";
                default:
                    var next = random.Next(2) == 0 && members.Count > 2
                        ? members.Where(m => m != user).ToArray()
                        : members.Union(everyone.Take(random.Next(2, 5))).Distinct().ToArray();
                    call.SyncMembers(next);
                    return $"members become {string.Join(",", next)}";
            }
        }
        catch (DmVoiceException)
        {
            // Refused (not in the call, not ringing, rate limited, not a member): the harness checked it changed nothing.
            return $"refused ({choice})";
        }
    }
}

/// <summary>The invariants of a DM's call, checked against its state and everything it published so far (read once, as it comes).</summary>
internal sealed class InvariantChecker(DmCallHarness call)
{
    private readonly HashSet<string> _ringsStarted = [];
    private readonly Dictionary<string, int> _ringEnds = [];
    private readonly HashSet<string> _callsEnded = [];
    private int _seenOutboxes;
    private long _lastVersion;

    public void Check(string where)
    {
        var state = call.State;
        if (state.Call is { } live)
        {
            var ids = live.Participants.Select(p => p.Voice.UserId).ToArray();
            Assert.True(ids.Distinct().Count() == ids.Length, $"{where}: a user holds two seats");
            Assert.True(ids.All(state.Members.Contains), $"{where}: a participant is not a member");
            var rung = live.Rings.Select(r => r.Entry.UserId).ToArray();
            Assert.True(rung.Distinct().Count() == rung.Length, $"{where}: a member is rung twice at once");
            Assert.True(!rung.Intersect(ids).Any(), $"{where}: a participant is still being rung");
            Assert.True(live.Rings.All(r => r.Entry.ExpiresAt > call.Now), $"{where}: a ring outlived its deadline");
            Assert.True(live.Participants.Count > 0 || live.EmptySince is not null, $"{where}: a live call with nobody in it is not waiting out its grace");
            Assert.True(live.Participants.Count > 0 || live.Rings.Count == 0, $"{where}: an empty call still rings");
        }
        else
        {
            Assert.True(call.Room.NextDeadline() is null, $"{where}: a call that is over still has a deadline");
        }

        foreach (var outbox in call.Committed.Skip(_seenOutboxes))
        {
            foreach (var (voiceEvent, audience) in outbox.Events)
            {
                // Versions only grow: every change comes after the previous one, and a change told two ways shares one version.
                Assert.True(voiceEvent.Version >= _lastVersion, $"{where}: version {voiceEvent.Version} after {_lastVersion}");
                _lastVersion = voiceEvent.Version;
                Observe(voiceEvent, audience, where);
            }
        }

        _seenOutboxes = call.Committed.Count;
        Assert.True(_lastVersion <= state.Version, $"{where}: an event carries a version the state never had");

        // Each call ends once, with one record.
        Assert.True(_callsEnded.Count == call.History.Records.Count, $"{where}: calls ended and records differ");
        Assert.True(call.History.Records.Select(r => r.CallId).Distinct().Count() == call.History.Records.Count, $"{where}: a call has two records");
    }

    /// <summary>Every ring that started ended exactly once for those who saw it ring (a dismissal is not its end).</summary>
    public void EveryRingEndedOnce(string where)
    {
        foreach (var ringId in _ringsStarted)
        {
            Assert.True(_ringEnds.GetValueOrDefault(ringId) == 1, $"{where}: ring {ringId} ended {_ringEnds.GetValueOrDefault(ringId)} times");
        }
    }

    private void Observe(VoiceEvent voiceEvent, string[] audience, string where)
    {
        switch (voiceEvent)
        {
            case CallStartedEvent started:
                _ringsStarted.UnionWith(started.Ringing.Select(r => r.RingId));
                break;
            case RingStartedEvent rung:
                _ringsStarted.UnionWith(rung.Ringing.Select(r => r.RingId));
                break;
            case RingStoppedEvent stop when audience.Any(u => u != stop.UserId):
                var ends = _ringEnds[stop.RingId] = _ringEnds.GetValueOrDefault(stop.RingId) + 1;
                Assert.True(ends == 1, $"{where}: ring {stop.RingId} ended {ends} times");
                break;
            case CallEndedEvent ended:
                Assert.True(_callsEnded.Add(ended.CallId) || audience.Length == 1, $"{where}: call {ended.CallId} ended twice");
                break;
        }
    }
}
