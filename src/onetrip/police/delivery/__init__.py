"""The card's way from the station to the resident (WF-2 after READY): pickup codes, shipments by
courier, the courier's callbacks and the reminders for cards nobody collects."""
