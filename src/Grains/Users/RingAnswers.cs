using DmVoice.Grains.Hosting;
using DmVoice.Grains.Infrastructure;

namespace DmVoice.Grains.Users;

/// <summary>
/// The user grain's answer to "may this caller ring you, and how?" (<see cref="RingEligibility"/>), asked
/// with the call's registration so a call start asks each member once. The ring settings are the settings
/// grain's: this keeps a copy, fetched when first needed, and drops it when that grain is about to change
/// them (<see cref="Forget"/>, which comes before the change is stored). A copy fetched while a change was
/// under way may be older than the change, so it answers the question it was fetched for and is not kept.
/// The copy and the ring counts live in memory only: a new activation fetches the settings again and
/// forgets the counts, which only ever lets a ring through. Plain code: the fetch is given.
/// </summary>
/// <param name="fetchSettings">Asks the user's settings grain for their ring settings.</param>
public sealed class RingAnswers(Func<Task<RingSettings>> fetchSettings, CallClock clock, CallOptions options)
{
    private readonly RingEligibility _eligibility = new(options.RingsPerCallerPerMinute, options.RingsPerCallerPerHour);
    private RingSettings? _settings;

    // Moves on at every Forget: a fetch that began before it is not kept.
    private long _changes;

    public async Task<RingVerdict> AnswerAsync(RingQuestion question)
    {
        var settings = _settings;
        if (settings is null)
        {
            var changesBefore = _changes;
            settings = await fetchSettings();
            if (_changes == changesBefore)
            {
                _settings = settings;
            }
        }

        return _eligibility.Decide(settings, question.CallerId, question.DmGroupId, clock.UtcNow);
    }

    public void Forget()
    {
        _settings = null;
        _changes++;
    }

    public void Count(string callerId) => _eligibility.Count(callerId, clock.UtcNow);
}
