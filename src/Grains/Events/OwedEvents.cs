namespace DmVoice.Grains.Events;

/// <summary>
/// A room's committed events that could not be sent yet, oldest first. Once one is owed, every later
/// event waits behind it, so each recipient still receives them in the order they were made. A device
/// only notices a lost event at the room's next one (a version gap, then it re-fetches), so an event
/// dropped for good is harmless only while a later one follows; the last events of a call often have
/// none after them, which is why a failed send is owed rather than dropped.
/// </summary>
/// <param name="capacity">
/// How many are kept. Past it the oldest goes: the devices that miss it see the gap at the next one
/// that reaches them and re-fetch, as they do for any event lost on the way.
/// </param>
public sealed class OwedEvents(int capacity = OwedEvents.DefaultCapacity)
{
    public const int DefaultCapacity = 256;

    private readonly Queue<(VoiceEvent Event, string[] Audience)> _owed = new();

    /// <summary>Whether some event is owed: a new one must then queue behind it.</summary>
    public bool Any => _owed.Count > 0;

    public int Count => _owed.Count;

    /// <summary>Events let go because more than the capacity were owed at once.</summary>
    public long Dropped { get; private set; }

    /// <summary>Keeps <paramref name="voiceEvent"/> for <paramref name="audience"/> behind those already owed.</summary>
    public void Owe(VoiceEvent voiceEvent, string[] audience)
    {
        if (_owed.Count >= capacity)
        {
            _owed.Dequeue();
            Dropped++;
        }

        _owed.Enqueue((voiceEvent, audience));
    }

    /// <summary>
    /// Sends what is owed in order with <paramref name="send"/>, each event forgotten once it was sent.
    /// The first failure stops it and is thrown; that event and the later ones stay owed.
    /// </summary>
    public async Task SendAsync(Func<VoiceEvent, string[], Task> send)
    {
        while (_owed.TryPeek(out var owed))
        {
            await send(owed.Event, owed.Audience);
            _owed.Dequeue();
        }
    }
}
