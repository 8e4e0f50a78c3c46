package dev.tiercache.policy;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgingDuelTest
{
    @Test
    void candidateRequestedFirst_scoresTheSketchThatWouldAdmitIt()
    {
        final AgingDuel duel = new AgingDuel();
        duel.record(1, 2, true);
        duel.settle(1);
        assertEquals(1, duel.score());
        assertTrue(duel.fastAhead());
        duel.record(3, 4, false);
        duel.settle(3);
        assertEquals(0, duel.score());
        assertFalse(duel.fastAhead(), "a tie follows the slow-aging sketch");
    }

    @Test
    void victimRequestedFirst_scoresTheSketchThatWouldKeepIt()
    {
        final AgingDuel duel = new AgingDuel();
        duel.record(1, 2, false);
        duel.settle(2);
        assertEquals(1, duel.score());
        duel.settle(1);
        assertEquals(1, duel.score(), "a settled contest counts once");
    }

    @Test
    void unrelatedRequests_leaveTheScore()
    {
        final AgingDuel duel = new AgingDuel();
        duel.record(1, 2, true);
        for (long key = 3; key < 1000; key++)
        {
            duel.settle(key);
        }
        assertEquals(0, duel.score());
    }

    @Test
    void score_saturates()
    {
        final AgingDuel duel = new AgingDuel();
        for (long i = 0; i < 100; i++)
        {
            duel.record(2 * i, 2 * i + 1, true);
            duel.settle(2 * i);
        }
        assertEquals(AgingDuel.SCORE_LIMIT, duel.score());
        for (long i = 100; i < 100 + AgingDuel.SCORE_LIMIT; i++)
        {
            duel.record(2 * i, 2 * i + 1, true);
            duel.settle(2 * i + 1);
        }
        assertEquals(0, duel.score(), "as many wrong predictions as the limit bring a saturated score back to a tie");
    }

    @Test
    void aVictimDefendingAgain_waitsOnlyInItsLatestContest()
    {
        final AgingDuel duel = new AgingDuel();
        duel.record(10, 1, false);
        duel.record(11, 1, false);
        duel.record(12, 1, true);
        duel.settle(1);
        assertEquals(-1, duel.score(), "only the latest contest, in which the fast-aging sketch would admit 12, is scored");
        duel.settle(10);
        duel.settle(11);
        assertEquals(-1, duel.score(), "the superseded contests were dropped unscored");
    }

    @Test
    void theOldestWaitingContest_isDroppedWhenTheRingIsFull()
    {
        final AgingDuel duel = new AgingDuel();
        for (long i = 0; i <= AgingDuel.CONTESTS; i++)
        {
            duel.record(2 * i, 2 * i + 1, true);
        }
        duel.settle(0);
        duel.settle(1);
        assertEquals(0, duel.score(), "contest 0 was overwritten");
        duel.settle(2);
        assertEquals(1, duel.score(), "contest 1 still waits");
    }
}
