"""Mail sources: files, folders, mbox, Maildir and IMAP behind one interface."""
