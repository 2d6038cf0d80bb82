namespace DmVoice.Grains.Events;

/// <summary>
/// The latest event each recipient was sent that has not been sent to them a second time. Stream
/// delivery can lose an event it accepted without an error (a memory-stream queue handed to another
/// silo drops what its pulling agent had read but not delivered), and a device only notices a lost
/// event at the room's next one (a version gap, then it re-fetches). So a short while after sending,
/// the room sends each recipient their latest event once more: a device that has it ignores the
/// repeat (<c>version &lt;= last</c>), one that missed it applies it or sees the gap and re-fetches.
/// Only the latest is kept per recipient, so a room holds at most one entry per member.
/// </summary>
public sealed class UnrepeatedEvents
{
    private readonly Dictionary<string, VoiceEvent> _latest = new(StringComparer.Ordinal);

    /// <summary>Whether some recipient's latest event is still to be repeated.</summary>
    public bool Any => _latest.Count > 0;

    public int Count => _latest.Count;

    /// <summary>Remembers <paramref name="voiceEvent"/> as the latest of everyone in <paramref name="audience"/>.</summary>
    public void Sent(VoiceEvent voiceEvent, string[] audience)
    {
        foreach (var userId in audience)
        {
            _latest[userId] = voiceEvent;
        }
    }

    /// <summary>
    /// The repeats owed now, one send per distinct event with everyone whose latest it is, oldest
    /// first; forgets them (each event is repeated once).
    /// </summary>
    public IReadOnlyList<(VoiceEvent Event, string[] Audience)> Take()
    {
        var repeats = _latest
            .GroupBy(entry => entry.Value, entry => entry.Key, ReferenceEqualityComparer.Instance)
            .Select(group => ((VoiceEvent)group.Key!, group.Order(StringComparer.Ordinal).ToArray()))
            .OrderBy(repeat => repeat.Item1.Version)
            .ToArray();
        _latest.Clear();
        return repeats;
    }
}
