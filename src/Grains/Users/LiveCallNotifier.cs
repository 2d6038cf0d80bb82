using DmVoice.Grains.Infrastructure;
using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Users;

/// <summary>
/// Telling the live calls a user can see, the Orleans side of <see cref="LiveCallIndex"/> for
/// <see cref="UserVoiceGrain"/>: the rooms' registrations and deregistrations, the routes published to
/// every call in the index when the user's gateways change, and the calls told to ask again when a
/// registration was lost. Index changes cause no write of their own: they are marked on the grain's
/// <see cref="CoalescedWrites{T}"/> (see the index's remarks).
/// </summary>
internal sealed partial class LiveCallNotifier(
    IGrainFactory grains,
    string userId,
    LiveCallIndex liveCalls,
    UserDevices devices,
    bool usesStreams,
    CoalescedWrites<UserVoiceState> writes,
    ILogger logger)
{
    // Registrations in the index that no write has stored yet: a failed write drops the activation
    // with them, and those calls are told (they would otherwise hear of no route change until their
    // next member check).
    private readonly HashSet<LiveCallRef> _unstored = [];

    /// <summary>
    /// A room registered its live call: in memory only, stored with the next write or within the
    /// deferred-write delay (an interleaving call must not write; see <see cref="UserVoiceGrain.AddLiveCall"/>).
    /// </summary>
    public void Register(LiveCallRef call)
    {
        if (liveCalls.Track(call))
        {
            _unstored.Add(call);
            writes.Changed();
        }
    }

    public void Deregister(LiveCallRef call)
    {
        if (liveCalls.Remove(call))
        {
            Forgot();
        }
    }

    /// <summary>
    /// A write starts: the registrations it stores are those made until now. Should it fail, every
    /// registration not stored (including any made while it ran) is lost with the activation, and each
    /// of those calls is told, so it asks this user again soon (see <see cref="IVoiceRoomGrain.AskAgain"/>).
    /// </summary>
    public Action<bool> Writing()
    {
        var writing = _unstored.ToArray();
        return stored =>
        {
            if (stored)
            {
                _unstored.ExceptWith(writing);
                return;
            }

            foreach (var lost in _unstored)
            {
                grains.RoomOf(lost.Call).AskAgain(userId).Ignore();
            }

            _unstored.Clear();
        };
    }

    /// <summary>
    /// Tells every live call the user can see where the user's devices are now, and waits for them, so
    /// a device that connected is reachable by the time the gateway lets it sync. A call that cannot be
    /// told now catches up on its own: it asks its members for routes whenever it activates.
    /// </summary>
    public async Task PublishRoutesAsync()
    {
        if (usesStreams || liveCalls.IsEmpty)
        {
            return;
        }

        var routes = devices.Routes;
        var calls = liveCalls.ToArray();
        var stale = await Task.WhenAll(calls.Select(async live =>
        {
            try
            {
                var current = await grains.RoomOf(live.Call).RoutesChanged(userId, routes);
                return current == live.CallId ? null : live;
            }
            catch (Exception ex)
            {
                // Not left to the call's next member check: told one-way, it asks this user again soon.
                LogRoutesNotPublished(ex, userId, live.Call.Kind, live.Call.Id);
                grains.RoomOf(live.Call).AskAgain(userId).Ignore();
                return null;
            }
        }));

        // A call that ended (or a DM the user left) while its deregistration was on its way.
        if (liveCalls.RemoveStale(stale))
        {
            Forgot();
        }
    }

    /// <summary>
    /// An entry left the index. Stored with the next write only (or at deactivation): an entry that
    /// outlives its call in storage is harmless, since a read or a route change finds it stale.
    /// </summary>
    private void Forgot() => writes.Changed(withinDelay: false);

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: could not tell call {Kind}:{Id} about new routes; asking it to check again")]
    private partial void LogRoutesNotPublished(Exception exception, string userId, string kind, string id);
}
