using System.Collections.Concurrent;
using DmVoice.Gateway.Contracts;
using DmVoice.Gateway.Realtime;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;

namespace DmVoice.Benchmarks.Systems;

/// <summary>
/// Floor: the least this stack can do. Same REST paths, token scheme, hub path, event names and
/// payload types as the gateway, but presence lives in a ConcurrentDictionary and each event goes
/// straight to the members' SignalR connection ids. No Orleans, no storage, no streams.
/// </summary>
public sealed class FloorSystem : ISystemUnderTest
{
    private readonly WebApplication _app;

    private FloorSystem(WebApplication app)
    {
        _app = app;
        BaseAddress = Loopback.Address(app);
    }

    public string Name => TargetNames.Floor;

    public string Description => "Minimal ASP.NET Core + SignalR: in-memory presence, events sent straight to connection ids";

    public Uri BaseAddress { get; }

    public IReadOnlyList<IServiceProvider> Hosts => [_app.Services];

    public static async Task<FloorSystem> StartAsync()
    {
        var builder = BaselineServer.CreateBuilder();
        builder.Services.AddSingleton<FloorState>();
        var app = builder.Build();
        BaselineServer.MapCommon(app);

        var voice = app.MapGroup("/dm-groups/{dmGroupId}/voice-presence");
        voice.MapPost("/join", async (
            string dmGroupId,
            [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] JoinVoiceRequest? request,
            HttpContext http,
            FloorState state,
            DmDirectory directory,
            IHubContext<FloorHub, IVoiceClient> hub) =>
        {
            var me = BaselineServer.UserId(http.User);
            if (directory.Find(dmGroupId, me) is not { } group)
            {
                return Results.NotFound();
            }

            var call = state.Calls.GetOrAdd(dmGroupId, static _ => new FloorCall());
            var now = DateTimeOffset.UtcNow;
            var participant = new VoiceParticipant(me, BaselineServer.DisplayName(http.User), request?.IsMuted ?? false, false, request?.IsVideoEnabled ?? false, false, now);
            VoiceEvent voiceEvent;
            bool started;
            string callId;
            long version;
            lock (call)
            {
                started = call.Participants.Count == 0;
                if (started)
                {
                    call.CallId = Guid.NewGuid().ToString("N");
                    call.StartedAt = now;
                }

                call.Participants[me] = participant;
                callId = call.CallId;
                version = ++call.Version;
                voiceEvent = started
                    ? new CallStartedEvent
                    {
                        DmGroupId = dmGroupId, CallId = callId, Version = version, User = participant,
                        Ringing = group.MemberIds.Where(m => m != me).Select(m => new RingingEntry(m, Guid.NewGuid().ToString("N"), now.AddSeconds(30))).ToArray(),
                    }
                    : new UserJoinedEvent { DmGroupId = dmGroupId, CallId = callId, Version = version, User = participant };
            }

            await state.SendAsync(hub, group.MemberIds, c => voiceEvent is CallStartedEvent s ? c.CallStarted(s) : c.UserJoined((UserJoinedEvent)voiceEvent));
            return Results.Ok(new JoinResult(dmGroupId, callId, started, participant, version));
        });

        voice.MapPut("/state", async (string dmGroupId, UpdateVoiceStateRequest request, HttpContext http, FloorState state, DmDirectory directory, IHubContext<FloorHub, IVoiceClient> hub) =>
        {
            var me = BaselineServer.UserId(http.User);
            if (directory.Find(dmGroupId, me) is not { } group || !state.Calls.TryGetValue(dmGroupId, out var call))
            {
                return Results.NotFound();
            }

            UserUpdatedEvent voiceEvent;
            lock (call)
            {
                if (!call.Participants.TryGetValue(me, out var current))
                {
                    return Results.Conflict();
                }

                var updated = current.With(new VoiceStatePatch(request.IsMuted, request.IsDeafened, request.IsVideoEnabled, request.IsScreenSharing));
                call.Participants[me] = updated;
                voiceEvent = new UserUpdatedEvent { DmGroupId = dmGroupId, CallId = call.CallId, Version = ++call.Version, User = updated };
            }

            await state.SendAsync(hub, group.MemberIds, c => c.UserUpdated(voiceEvent));
            return Results.Ok(voiceEvent.User);
        });

        voice.MapDelete("/leave", async (string dmGroupId, HttpContext http, FloorState state, DmDirectory directory, IHubContext<FloorHub, IVoiceClient> hub) =>
        {
            var me = BaselineServer.UserId(http.User);
            if (directory.Find(dmGroupId, me) is not { } group || !state.Calls.TryGetValue(dmGroupId, out var call))
            {
                return Results.NotFound();
            }

            UserLeftEvent left;
            CallEndedEvent? ended = null;
            lock (call)
            {
                if (!call.Participants.Remove(me))
                {
                    return Results.Conflict();
                }

                left = new UserLeftEvent { DmGroupId = dmGroupId, CallId = call.CallId, Version = ++call.Version, UserId = me, Reason = LeaveReasons.Left };
                if (call.Participants.Count == 0)
                {
                    var now = DateTimeOffset.UtcNow;
                    var duration = (long)(now - call.StartedAt).TotalMilliseconds;
                    var record = new CallRecord(call.CallId, dmGroupId, me, call.StartedAt, now, duration, CallEndReasons.Ended, [me], []);
                    ended = new CallEndedEvent
                    {
                        DmGroupId = dmGroupId, CallId = call.CallId, Version = ++call.Version, Reason = CallEndReasons.Ended, DurationMs = duration, Record = record,
                    };
                }
            }

            await state.SendAsync(hub, group.MemberIds, c => c.UserLeft(left));
            if (ended is not null)
            {
                await state.SendAsync(hub, group.MemberIds, c => c.CallEnded(ended));
            }

            return Results.NoContent();
        });

        app.MapHub<FloorHub>(BaselineServer.HubPath);
        await app.StartAsync();
        return new FloorSystem(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

internal sealed class FloorCall
{
    public string CallId = string.Empty;
    public DateTimeOffset StartedAt;
    public long Version;
    public readonly Dictionary<string, VoiceParticipant> Participants = new(StringComparer.Ordinal);
}

internal sealed class FloorState
{
    public readonly ConcurrentDictionary<string, FloorCall> Calls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _connections = new(StringComparer.Ordinal);

    public void Connected(string userId, string connectionId) =>
        _connections.GetOrAdd(userId, static _ => new(StringComparer.Ordinal))[connectionId] = 0;

    public void Disconnected(string userId, string connectionId)
    {
        if (_connections.TryGetValue(userId, out var set))
        {
            set.TryRemove(connectionId, out _);
        }
    }

    /// <summary>
    /// One send per connection id. Clients.Client(id) is a dictionary lookup in SignalR's default
    /// lifetime manager, whereas Clients.User(id) and Clients.Clients(ids) scan every connection.
    /// </summary>
    public Task SendAsync(IHubContext<FloorHub, IVoiceClient> hub, IReadOnlyList<string> userIds, Func<IVoiceClient, Task> send)
    {
        var sends = new List<Task>(userIds.Count);
        foreach (var userId in userIds)
        {
            if (_connections.TryGetValue(userId, out var set))
            {
                foreach (var connectionId in set.Keys)
                {
                    sends.Add(send(hub.Clients.Client(connectionId)));
                }
            }
        }

        return Task.WhenAll(sends);
    }
}

[Authorize]
internal sealed class FloorHub(FloorState state) : Hub<IVoiceClient>
{
    [HubMethodName("sync")]
    public MyVoiceOverview Sync() => new(null, [], []);

    public override Task OnConnectedAsync()
    {
        state.Connected(Context.UserIdentifier!, Context.ConnectionId);
        return base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        state.Disconnected(Context.UserIdentifier!, Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }
}
