using DmVoice.Tests.Infrastructure;
using DmVoice.TestSupport.Orleans;

namespace DmVoice.Tests.Grains;

/// <summary>
/// Redis itself misbehaving: writes held (<c>CLIENT PAUSE … WRITE</c>) longer than the storage
/// timeout, or the server killed and restarted. A write that timed out may still land when Redis
/// lets it through, so "fails cleanly" means: afterwards the call, every user's active call, the
/// DM's members and what every device heard agree with each other, and the call keeps working.
/// </summary>
[Collection(RedisFaultsClusterCollection.Name)]
public sealed class RedisFaultTests(RedisFaultsClusterFixture fx)
{
    private static readonly TimeSpan LongStall = RedisFaultsClusterFixture.StorageTimeout * 3;

    public static TheoryData<string> Operations => ["join", "leave", "state", "ring", "remove member"];

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task A_request_while_Redis_holds_writes_fails_or_lands_and_afterwards_everything_agrees(string operation)
    {
        fx.EnsureAvailable();
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b, c);
        var devices = new[]
        {
            await EventRecorder.SubscribeAsync(fx.Client, a),
            await EventRecorder.SubscribeAsync(fx.Client, b),
            await EventRecorder.SubscribeAsync(fx.Client, c),
        };
        await fx.JoinAsync(a, dm.Id);
        if (operation is "leave" or "state" or "remove member")
        {
            await fx.JoinAsync(b, dm.Id);
        }

        if (operation == "ring")
        {
            await fx.Call(dm.Id).StopRinging(a, [b, c]);
        }

        await using var stall = await StallWritesAsync(LongStall);
        Exception? failure = null;
        try
        {
            await (operation switch
            {
                "join" => fx.JoinAsync(b, dm.Id),
                "leave" => fx.User(b).LeaveDmCall(dm.Id),
                "state" => fx.Call(dm.Id).UpdateState(b, new VoiceStatePatch(IsMuted: true)),
                "ring" => fx.Call(dm.Id).Ring(a, [b]),
                "remove member" => fx.Group(dm.Id).RemoveMember(a, b),
                _ => throw new ArgumentOutOfRangeException(nameof(operation)),
            });
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        // Whatever happened, it is a storage fault reported as such (the gateway answers it with 503).
        if (failure is not null)
        {
            AssertStorageTimeout(failure);
        }

        await stall.DisposeAsync(); // The stall ends; a timed-out write may land now.
        var presence = await ConvergedAsync(dm.Id, [a, b, c], devices);

        // And the call works on: the next change reaches every member with the next version.
        var video = !presence.Participants.Single(p => p.UserId == a).IsVideoEnabled;
        await AsAClientWouldAsync(() => fx.Call(dm.Id).UpdateState(a, new VoiceStatePatch(IsVideoEnabled: video)));
        foreach (var device in devices.Where(d => d.UserId != b || operation != "remove member"))
        {
            await device.WaitForAsync<UserUpdatedEvent>(e => e.DmGroupId == dm.Id && e.Version == presence.Version + 1 && e.User.IsVideoEnabled == video);
        }

        foreach (var device in devices)
        {
            await device.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_short_write_stall_only_delays_requests()
    {
        fx.EnsureAvailable();
        var (a, b) = (TestIds.User("a"), TestIds.User("b"));
        var dm = await fx.CreateDmAsync(a, b);
        await using var bEvents = await EventRecorder.SubscribeAsync(fx.Client, b);

        await using (await StallWritesAsync(RedisFaultsClusterFixture.StorageTimeout / 3))
        {
            var call = await fx.JoinAsync(a, dm.Id);
            await bEvents.WaitForAsync<CallStartedEvent>(e => e.CallId == call.CallId);
        }


        Assert.Equal(CallContext.Dm(dm.Id), (await fx.User(a).GetSeat())?.Call);
    }

    [Fact]
    public async Task A_call_and_its_rings_survive_redis_server_being_killed_and_restarted()
    {
        fx.EnsureAvailable();
        var (a, b, c) = (TestIds.User("a"), TestIds.User("b"), TestIds.User("c"));
        var dm = await fx.CreateDmAsync(a, b, c);
        var call = await fx.JoinAsync(a, dm.Id);
        await fx.JoinAsync(c, dm.Id);
        var before = await fx.Call(dm.Id).GetPresence(a);

        await fx.Redis.KillAsync();
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => fx.Call(dm.Id).UpdateState(a, new VoiceStatePatch(IsMuted: true)));
        Assert.IsType<OrleansException>(failure);
        await fx.Redis.RestartAsync();

        // Requests work again once the storage reconnects, on the same call.
        await Eventually.GetAsync(
            async () =>
            {
                try
                {
                    await fx.Call(dm.Id).UpdateState(a, new VoiceStatePatch(IsMuted: true));
                    return true;
                }
                catch (OrleansException)
                {
                    return false;
                }
            },
            ok => ok,
            "the call to accept changes after redis-server restarted");
        var after = await fx.Call(dm.Id).GetPresence(a);
        Assert.Equal(call.CallId, after.CallId);
        Assert.Equal(before.Participants.Select(p => p.UserId), after.Participants.Select(p => p.UserId));
        Assert.Equal(before.Ringing, after.Ringing);
        Assert.True(after.Participants.Single(p => p.UserId == a).IsMuted);
        Assert.Equal(before.Version + 1, after.Version);
    }

    /// <summary>
    /// Tries again after a storage fault, as a client does after a 503. A write that timed out and then
    /// landed moves the stored ETag: an activation that loaded the state before it cannot write (an ETag
    /// conflict), drops itself, and the next try works on the fresh state.
    /// </summary>
    private static async Task AsAClientWouldAsync(Func<Task> request)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await request();
                return;
            }
            catch (OrleansException) when (attempt < 3)
            {
                await Task.Delay(RedisFaultsClusterFixture.StorageTimeout);
            }
        }
    }

    /// <summary>Holds Redis writes for <paramref name="duration"/>; disposing waits until the hold is over, so no test leaks it.</summary>
    private async Task<IAsyncDisposable> StallWritesAsync(TimeSpan duration)
    {
        var until = DateTimeOffset.UtcNow + duration;
        await fx.Redis.PauseWritesAsync(duration);
        return new StallEnd(until);
    }

    private sealed class StallEnd(DateTimeOffset until) : IAsyncDisposable
    {
        private bool _ended;

        public async ValueTask DisposeAsync()
        {
            if (!_ended && until > DateTimeOffset.UtcNow)
            {
                await Task.Delay(until - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(100));
            }

            _ended = true;
        }
    }

    /// <summary>
    /// Orleans' storage error around Redis storage's own error (the client's timeout travels inside it
    /// as text only: it does not cross the wire as an exception).
    /// </summary>
    private static void AssertStorageTimeout(Exception failure)
    {
        Assert.IsType<OrleansException>(failure);
        Assert.IsType<Orleans.Persistence.Redis.RedisStorageException>(failure.InnerException);
        Assert.Contains("Timeout", failure.InnerException!.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Waits until the call, the users' grains, the group and the devices agree: a user's active call is
    /// this DM exactly when they hold a seat, nobody both rings and sits in the call, no device heard a
    /// version the call does not have, and the members' devices heard the same events.
    /// </summary>
    private async Task<CallPresence> ConvergedAsync(string dmId, string[] users, EventRecorder[] devices)
    {
        CallPresence? presence = null;
        await Eventually.GetAsync(
            async () =>
            {
                var members = (await fx.Group(dmId).Get(users[0])).MemberIds;
                presence = await fx.Call(dmId).GetPresence(users[0]);
                var seated = presence.Participants.Select(p => p.UserId).ToHashSet();
                foreach (var user in users)
                {
                    var active = (await fx.User(user).GetSeat())?.Call;
                    var believesInCall = active == CallContext.Dm(dmId);
                    if (believesInCall != seated.Contains(user) || (seated.Contains(user) && !members.Contains(user)))
                    {
                        return false;
                    }
                }

                return !presence.Ringing.Any(r => seated.Contains(r.UserId));
            },
            agreed => agreed,
            "the call, the users and the group to agree",
            TimeSpan.FromSeconds(30));

        var memberDevices = new List<EventRecorder>();
        foreach (var device in devices)
        {
            try
            {
                await fx.Call(dmId).GetPresence(device.UserId);
                memberDevices.Add(device);
            }
            catch (DmVoiceException ex) when (ex.Code == ErrorCodes.DmNotFound)
            {
                // Removed from the DM: heard the call until then.
            }
        }

        await AsAClientWouldAsync(() => EventBarrier.FlushAsync(fx.Client, dmId, [.. memberDevices]));
        presence = await fx.Call(dmId).GetPresence(users[0]);
        var heard = memberDevices.Select(d => d.Events.OfType<DmVoiceEvent>().Where(e => e.DmGroupId == dmId).Select(e => e.Version).ToArray()).ToArray();
        foreach (var versions in heard)
        {
            Assert.All(versions, v => Assert.True(v <= presence.Version, $"a device heard version {v}, beyond the call's {presence.Version}"));
            Assert.Equal(versions.Order(), versions);
            Assert.Equal(heard[0], versions);
        }

        return presence;
    }
}
