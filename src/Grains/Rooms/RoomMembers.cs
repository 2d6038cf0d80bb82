using DmVoice.Grains.Events;
using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Rooms;

/// <summary>
/// What a room knows of its members' user grains: where their devices are (the publisher's routes) and
/// whether they are busy elsewhere. A live room registers with each member (<see cref="IUserVoiceGrain.AddLiveCall"/>,
/// interleaving), which answers both and keeps the room posted on route changes until the room deregisters.
/// Members that could not be reached are remembered and asked again by the room's member check —
/// unless this silo is stopping: then the room's next activation, on a silo that runs, asks them again,
/// and a stopping silo with many live calls neither retries nor warns for every member.
/// </summary>
internal sealed partial class RoomMembers(IGrainFactory grains, IEventPublisher publisher, Func<CallContext> here, string label, ILogger logger, CancellationToken siloStopping)
{
    private readonly HashSet<string> _unreachable = new(StringComparer.Ordinal);

    // The latest event each routed user was sent, for a route this room learns late (see SetRoutes).
    private readonly Dictionary<string, VoiceEvent> _latest = new(StringComparer.Ordinal);

    /// <summary>Whether some member could not be reached lately (the member check then comes soon).</summary>
    public bool AnyUnreachable => _unreachable.Count > 0;

    /// <summary>
    /// Records the user's routes as their user grain tells them: a route change the user grain awaits
    /// before the device that caused it syncs, or a joiner's routes.
    /// </summary>
    public void SetRoutes(string userId, GatewayRoute[] routes)
    {
        publisher.SetRoutes(userId, routes ?? []);
        _unreachable.Remove(userId);
    }

    /// <summary>
    /// Records the routes in a member's answer to this room's asking (a registration, a member check).
    /// When the room already knew where the user's devices were and the answer names a gateway it did
    /// not reach, the latest event it sent the user goes out again at once: a device there may have
    /// connected and synced before the room heard of it (a route change that could not be told, an
    /// index entry lost with a failed write) and missed events since. A device that has it ignores the
    /// repeat; one that is behind applies it or sees the gap and re-fetches.
    /// </summary>
    private void LearnRoutes(string userId, GatewayRoute[] routes)
    {
        if (publisher.SetRoutes(userId, routes ?? []) && _latest.TryGetValue(userId, out var latest))
        {
            LogResent(label, latest.EventName, latest.Version, userId);
            publisher.PublishAsync(latest, [userId]).Ignore();
        }

        _unreachable.Remove(userId);
    }

    /// <summary>Sends the events of one stored change to their audiences, in order (see <see cref="IEventPublisher.PublishAllAsync"/>).</summary>
    public Task PublishAsync(IReadOnlyList<(VoiceEvent Event, string[] Audience)> events)
    {
        if (publisher.UsesRoutes)
        {
            foreach (var (voiceEvent, audience) in events)
            {
                foreach (var userId in audience)
                {
                    _latest[userId] = voiceEvent;
                }
            }
        }

        return events.Count == 0 ? Task.CompletedTask : publisher.PublishAllAsync(events);
    }

    /// <summary>
    /// A member's user grain could not keep the room posted (see <see cref="IVoiceRoomGrain.AskAgain"/>):
    /// they are asked again at the next member check, which comes soon, as for a member who could not
    /// be reached.
    /// </summary>
    public void AskAgain(string userId) => _unreachable.Add(userId);

    /// <summary>
    /// Registers the live call with these members and learns their status, and with a <paramref name="ring"/>
    /// question whether and how each may be rung (<see cref="MemberStatus.Ring"/>): one call per member. Throws
    /// when a member cannot be reached, so a caller that has not changed anything yet fails cleanly.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, MemberStatus>> AttachAsync(string callId, string[] memberIds, RingQuestion? ring = null)
    {
        var live = new LiveCallRef(here(), callId);
        var answers = await Task.WhenAll(memberIds.Select(id => grains.GetGrain<IUserVoiceGrain>(id).AddLiveCall(live, ring)));
        var statuses = new Dictionary<string, MemberStatus>(memberIds.Length, StringComparer.Ordinal);
        for (var i = 0; i < memberIds.Length; i++)
        {
            statuses[memberIds[i]] = answers[i];
            LearnRoutes(memberIds[i], answers[i].Routes);
        }

        return statuses;
    }

    /// <summary>
    /// Asks these members where they are (registering the live call with them again, which also repairs
    /// their index of live calls) and refreshes their routes. Members that cannot be reached are left out
    /// of the answer and marked for another try.
    /// </summary>
    public async Task<Dictionary<string, MemberStatus>> AskAsync(string callId, string[] memberIds)
    {
        var live = new LiveCallRef(here(), callId);
        var answers = await AskEachAsync(memberIds, user => user.AddLiveCall(live, null));
        var statuses = new Dictionary<string, MemberStatus>(StringComparer.Ordinal);
        for (var i = 0; i < memberIds.Length; i++)
        {
            if (answers[i] is { } status)
            {
                statuses[memberIds[i]] = status;
                LearnRoutes(memberIds[i], status.Routes);
            }
            else if (!siloStopping.IsCancellationRequested)
            {
                _unreachable.Add(memberIds[i]);
            }
        }

        return statuses;
    }

    /// <summary>
    /// A room that is not live holds nobody's routes (members' user grains post route changes only to
    /// live rooms), yet a channel's own changes must reach its members' devices. With direct delivery,
    /// this asks each of these users where their devices are now (an interleaving read that registers
    /// nothing) for the events of the coming commit; <see cref="ReturnRoutes"/> forgets them after it.
    /// A user who cannot be reached misses the event and catches up by re-fetching. Returns the users asked.
    /// </summary>
    public async Task<string[]> BorrowRoutesAsync(string[] userIds)
    {
        if (!publisher.UsesRoutes || userIds.Length == 0)
        {
            return [];
        }

        var answers = await AskEachAsync(userIds, user => user.GetRoutes());
        for (var i = 0; i < userIds.Length; i++)
        {
            if (answers[i] is { } routes)
            {
                publisher.SetRoutes(userIds[i], routes);
            }
        }

        return userIds;
    }

    public void ReturnRoutes(string[] userIds)
    {
        foreach (var userId in userIds)
        {
            Forget(userId);
        }
    }

    /// <summary>The user stops seeing the call: deregistered (one-way) and their routes forgotten.</summary>
    public void Detach(string userId, string callId)
    {
        Forget(userId);
        _unreachable.Remove(userId);
        grains.GetGrain<IUserVoiceGrain>(userId).RemoveLiveCall(new LiveCallRef(here(), callId)).Ignore();
    }

    private void Forget(string userId)
    {
        publisher.ForgetRoutes(userId);
        _latest.Remove(userId);
    }

    /// <summary>The room is no longer live: nobody is left to retry.</summary>
    public void ForgetUnreachable() => _unreachable.Clear();

    /// <summary>Asks each user's grain at once; a user who cannot be reached is logged and answers null.</summary>
    private Task<T?[]> AskEachAsync<T>(string[] userIds, Func<IUserVoiceGrain, Task<T>> ask)
        where T : class =>
        Task.WhenAll(userIds.Select(async userId =>
        {
            try
            {
                return await ask(grains.GetGrain<IUserVoiceGrain>(userId));
            }
            catch (Exception ex) when (siloStopping.IsCancellationRequested)
            {
                LogMemberUnreachableWhileStopping(ex, label, userId);
                return null;
            }
            catch (Exception ex)
            {
                LogMemberUnreachable(ex, label, userId);
                return null;
            }
        }));

    [LoggerMessage(Level = LogLevel.Information, Message = "{Room}: {UserId} has a device on a gateway the room did not reach; sending {EventName} v{Version} again")]
    private partial void LogResent(string room, string eventName, long version, string userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Room}: the user grain of member {UserId} could not be reached for routes; retrying")]
    private partial void LogMemberUnreachable(Exception exception, string room, string userId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Room}: the user grain of member {UserId} could not be reached while this silo stops; the room's next activation asks again")]
    private partial void LogMemberUnreachableWhileStopping(Exception exception, string room, string userId);
}
