// Channels: how customers move between WEB, APP, STORE, CALL_CENTER, EMAIL... Channels
// are upper case, as in the input contract. Time windows end at the newest event
// in the graph rather than now, so a dataset loaded from an older export still answers.

// name: channel-transitions(fromChannel, toChannel, days)
// How many customers go from one channel to another within N days: of the persons with
// an event on fromChannel, those with an event on toChannel at most `days` days after
// one of them (not necessarily the very next event).
//   :param fromChannel => 'WEB'
//   :param toChannel => 'STORE'
//   :param days => 7
MATCH (p:Person)<-[:OF]-(a:Event {channel: $fromChannel})
WITH p, collect(a.at) AS starts
CALL (p, starts) {
  OPTIONAL MATCH (p)<-[:OF]-(b:Event {channel: $toChannel})
  WHERE any(s IN starts WHERE s < b.at AND b.at <= s + duration({days: $days}))
  RETURN count(b) > 0 AS went
}
WITH count(p) AS customers, count(CASE WHEN went THEN 1 END) AS went
RETURN $fromChannel AS fromChannel,
       $toChannel AS toChannel,
       $days AS days,
       customers AS customersOnFromChannel,
       went AS customersWhoWent,
       CASE WHEN customers = 0 THEN null ELSE round(100.0 * went / customers, 1) END AS percent;

// name: channel-handoffs(days)
// Every hand-off between channels: a person's next event happened on another channel
// within `days` days. Per pair of channels, how often and for how many customers, the
// most frequent first (WEB -> STORE, APP -> CALL_CENTER...).
//   :param days => 7
MATCH (p:Person)<-[:OF]-(e:Event)
WITH p, e ORDER BY e.at, e.key
WITH p, collect(e) AS events
UNWIND range(0, size(events) - 2) AS i
WITH p, events[i] AS a, events[i + 1] AS b
WHERE a.channel <> b.channel AND b.at <= a.at + duration({days: $days})
RETURN a.channel AS fromChannel,
       b.channel AS toChannel,
       count(*) AS handoffs,
       count(DISTINCT p) AS customers,
       round(avg(duration.between(a.at, b.at).seconds) / 3600.0, 1) AS avgHours
ORDER BY customers DESC, handoffs DESC, fromChannel, toChannel;

// name: recent-events(channel, limit)
// The latest events on one channel, newest first, with the person and the identifiers
// each was seen with. Set channel to null for every channel.
//   :param channel => 'STORE'
//   :param limit => 50
MATCH (e:Event)
WHERE $channel IS NULL OR e.channel = $channel
WITH e ORDER BY e.at DESC, e.key DESC
LIMIT $limit
OPTIONAL MATCH (e)-[:OF]->(p:Person)
RETURN toString(e.at) AS at,
       e.channel AS channel,
       e.type AS type,
       e.source AS source,
       e.sourceId AS sourceId,
       p.id AS person,
       [(e)-[:HAS]->(i:Identifier) | i.type + ' ' + i.value] AS identifiers;

// name: channel-activity(days)
// Per channel over the last `days` days (up to the newest event): events, distinct
// customers, event types and the latest event.
//   :param days => 30
MATCH (last:Event)
WITH max(last.at) AS newest
MATCH (e:Event)
WHERE e.at > newest - duration({days: $days})
OPTIONAL MATCH (e)-[:OF]->(p:Person)
RETURN e.channel AS channel,
       count(DISTINCT e) AS events,
       count(DISTINCT p) AS customers,
       collect(DISTINCT e.type) AS types,
       toString(max(e.at)) AS latest
ORDER BY events DESC, channel;
