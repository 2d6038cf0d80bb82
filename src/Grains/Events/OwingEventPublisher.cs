using DmVoice.Grains.Infrastructure;
using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Events;

/// <summary>
/// Wraps a grain's publisher so that no committed event is dropped when sending it fails (a stream
/// queue on a silo that just died, a stalled silo): the event is owed (<see cref="OwedEvents"/>),
/// later events queue behind it, and the grain retries on a timer with <see cref="Backoff"/> until
/// they are all out. A recipient that already had an event ignores the repeat. Direct delivery's
/// sends are one-way and do not fail here; stream delivery's enqueue can.
/// </summary>
internal sealed partial class OwingEventPublisher : IEventPublisher
{
    /// <summary>Quick at first (a dead silo is replaced within seconds), then no more than every 5 s.</summary>
    public static readonly Backoff Retry = new(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));

    private readonly IEventPublisher _inner;
    private readonly OwedEvents _owed = new();
    private readonly OwedWork _retry;
    private readonly string _label;
    private readonly ILogger _logger;

    public OwingEventPublisher(IEventPublisher inner, IGrainBase grain, string label, ILogger logger)
    {
        _inner = inner;
        _label = label;
        _logger = logger;
        _retry = new OwedWork(grain, Retry, SendOwedAsync, (ex, delay) => LogRetryFailed(ex, _label, _owed.Count, delay));
    }

    public bool UsesRoutes => _inner.UsesRoutes;

    public bool SetRoutes(string userId, GatewayRoute[] routes) => _inner.SetRoutes(userId, routes);

    public void ForgetRoutes(string userId) => _inner.ForgetRoutes(userId);

    /// <summary>Sends now, or owes it when an earlier event is still owed or the send fails. Never throws.</summary>
    public async Task PublishAsync(VoiceEvent voiceEvent, string[] audience)
    {
        if (_owed.Any)
        {
            _owed.Owe(voiceEvent, audience);
            return;
        }

        try
        {
            await _inner.PublishAsync(voiceEvent, audience);
        }
        catch (Exception ex)
        {
            _owed.Owe(voiceEvent, audience);
            LogPublishFailed(ex, _label, voiceEvent.EventName, voiceEvent.Version, Retry.Initial);
            _retry.ScheduleSoon();
        }
    }

    /// <summary>Sends the change's events now, or owes them all when an earlier event is still owed or the send fails. Never throws.</summary>
    public async Task PublishAllAsync(IReadOnlyList<(VoiceEvent Event, string[] Audience)> events)
    {
        if (!_owed.Any)
        {
            try
            {
                await _inner.PublishAllAsync(events);
                return;
            }
            catch (Exception ex)
            {
                // Some may have gone out: a recipient that already had one ignores the repeat.
                LogPublishFailed(ex, _label, events[0].Event.EventName, events[0].Event.Version, Retry.Initial);
                _retry.ScheduleSoon();
            }
        }

        foreach (var (voiceEvent, audience) in events)
        {
            _owed.Owe(voiceEvent, audience);
        }
    }

    private async Task SendOwedAsync()
    {
        var dropped = _owed.Dropped;
        await _owed.SendAsync(_inner.PublishAsync);
        LogOwedSent(_label, _owed.Dropped - dropped);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Room}: publishing {EventName} v{Version} failed; it and the events after it are sent again in {Delay}")]
    private partial void LogPublishFailed(Exception exception, string room, string eventName, long version, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Room}: sending {Count} owed events failed again; next try in {Delay}")]
    private partial void LogRetryFailed(Exception exception, string room, int count, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Room}: the owed events are out ({Dropped} dropped for too many owed at once)")]
    private partial void LogOwedSent(string room, long dropped);
}
