import './base.css';
import './media.css';
import './layout.css';
import './teaching.css';
import './invite.css';
